/**
 * AgentCluster passes the ClusterClient contract: here over the simulator, with the agent's own
 * executor at the far end and every message through JSON and the protocol's validation both
 * ways, as on the wire. (test/e2e/hub.e2e.test.ts runs the same suite against a real control
 * plane through `qpilot agent` and `qpilot serve`.)
 */
import { ActionExecutor } from '../../agent/executor.js';
import { ManualClock } from '../../core/clock.js';
import { parseMessage } from '../../core/protocol.js';
import { SimCluster } from '../sim/simCluster.js';
import { runClusterClientContract } from '../testing/contract.js';
import { AgentCluster } from './agentCluster.js';
import { Switchboard } from './switchboard.js';

const SECRET = 'contract-secret-key-0123456789abcdef';

runClusterClientContract('AgentCluster (simulated cluster behind an agent)', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'contract' });
  const nodes = ['node-a', 'node-b', 'node-c'];
  for (const name of nodes) sim.addNode({ name, cpu: '4', memory: '16Gi' });
  const namespace = 'contract';
  sim.createNamespace(namespace);
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
    client: new AgentCluster(switchboard, 'sim'),
    namespace,
    nodes,
    createDeployment: (spec) => {
      sim.createDeployment({
        namespace,
        name: spec.name,
        replicas: spec.replicas,
        labels: spec.labels,
        annotations: spec.annotations,
        containers: [
          {
            name: 'app',
            requests: { cpu: spec.cpuRequest, memory: spec.memoryRequest },
            limits: { cpu: spec.cpuLimit, memory: spec.memoryLimit },
          },
        ],
      });
      return Promise.resolve();
    },
    createPdb: (spec) => {
      sim.createPdb({ namespace, ...spec });
      return Promise.resolve();
    },
    settle: (p) => clock.settle(p),
    elapse: (ms) => {
      clock.advance(ms);
      sim.sync();
      return Promise.resolve();
    },
    metricsDelayMs: 60_000,
    readyTimeoutMs: 120_000,
    dispose: () => {
      switchboard.close();
      return Promise.resolve();
    },
  });
});
