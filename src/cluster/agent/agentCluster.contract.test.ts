/**
 * AgentCluster passes the ClusterClient contract: here over the simulator, with the agent's own
 * executor at the far end and every message through JSON and the protocol's validation both
 * ways, as on the wire. (test/e2e/hub.e2e.test.ts runs the same suite against a real control
 * plane through `qpilot agent` and `qpilot serve`.)
 */
import { ActionExecutor } from '../../agent/executor.js';
import { parseMessage } from '../../core/protocol.js';
import { runClusterClientContract } from '../testing/contract.js';
import { simContract } from '../testing/simContract.js';
import { AgentCluster } from './agentCluster.js';
import { Switchboard } from './switchboard.js';

const SECRET = 'contract-secret-key-0123456789abcdef';

runClusterClientContract('AgentCluster (simulated cluster behind an agent)', () => {
  const { sim, clock, fixture } = simContract();
  const executor = new ActionExecutor({ cluster: sim, clock, secretKey: SECRET });
  const switchboard = new Switchboard({
    clock,
    secretKey: (id) => (id === 'sim' ? SECRET : undefined),
  });
  const wire = (m: unknown) => JSON.parse(JSON.stringify(m)) as unknown;
  switchboard.attach('sim', 'agent-1', (sent) => {
    const received = parseMessage('hub', wire(sent));
    if (!received.ok) throw new Error(received.error);
    const m = received.message;
    if (m.type !== 'action' && m.type !== 'query') return;
    void (
      m.type === 'action'
        ? executor.execute(m.action, m.signature)
        : executor.query(m.query, m.signature)
    ).then((r) => {
      const back = parseMessage(
        'agent',
        wire({ v: 1, type: 'result', id: 'r', agentId: 'agent-1', ...r }),
      );
      if (!back.ok) throw new Error(back.error);
      if (back.message.type === 'result') switchboard.settle('sim', back.message);
    });
  });
  return Promise.resolve({
    ...fixture,
    client: new AgentCluster(switchboard, 'sim'),
    dispose: () => {
      switchboard.close();
      return Promise.resolve();
    },
  });
});
