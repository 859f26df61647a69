/**
 * The Autopilots of a cluster steered through its agent (ADR 17): listed by the agent for the
 * hub's Autopilot controller, their status written as a signed action; a list that can no
 * longer be refreshed stops being used, as a broken watch does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentAutopilots } from '../../cluster/agent/agentAutopilots.js';
import { AgentCluster } from '../../cluster/agent/agentCluster.js';
import type { Autopilot, AutopilotCalls, AutopilotStatus } from '../../cluster/autopilot.js';
import { RealClock } from '../../core/clock.js';
import { eventually, startTestAgent, startTestHub } from '../testing/hubHarness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The Autopilots of the cluster behind the agent: a list, and the statuses written to it. */
function memoryAutopilots(items: Autopilot[]): AutopilotCalls & { written: string[] } {
  const written: string[] = [];
  return {
    written,
    list: () => Promise.resolve(structuredClone(items)),
    writeStatus: (namespace: string, name: string, status: AutopilotStatus) => {
      const ap = items.find((a) => a.metadata.namespace === namespace && a.metadata.name === name);
      if (!ap) return Promise.reject(new Error(`autopilot ${namespace}/${name} not found`));
      ap.status = status;
      written.push(`${namespace}/${name}`);
      return Promise.resolve();
    },
  };
}

const web: Autopilot = {
  metadata: { namespace: 'default', name: 'web', creationTimestamp: new Date(0) },
  spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } },
};

describe('Autopilots through an agent', () => {
  it('lists them through the agent, writes their status as an action, and stops using a stale list', async () => {
    const h = await startTestHub();
    cleanups.push(() => h.close());
    const made = await h.hub.createCluster('prod', 'prod');
    const remote = memoryAutopilots([web]);
    const agent = await startTestAgent({
      url: h.url,
      clusterId: 'prod',
      apiKey: made.apiKey,
      secretKey: made.secretKey,
      autopilots: remote,
    });
    let agentUp = true;
    cleanups.push(() => (agentUp ? agent.kill() : Promise.resolve()));
    const cluster = new AgentCluster(h.switchboard, 'prod', { queryTimeoutMs: 2000 });
    const reader = new AgentAutopilots({
      calls: cluster,
      clock: new RealClock(),
      reachable: () => h.switchboard.reachable('prod'),
      readsAutopilots: () => h.hub.takes('prod', 'autopilot_status'),
      refreshMs: 50,
      maxAgeMs: 300,
    });
    await eventually('the agent registered', () => h.hub.takes('prod', 'autopilot_status'));
    expect(reader.list()).toBeUndefined();
    await reader.start();
    cleanups.push(() => reader.stop());
    const listed = await eventually('a listing', () => reader.list());
    expect(listed.map((a) => a.metadata.name)).toEqual(['web']);

    await reader.writeStatus('default', 'web', { currentReplicas: 3, desiredReplicas: 4 });
    expect(remote.written).toEqual(['default/web']);
    await eventually('the status in the next listing', () =>
      reader.list()?.[0]?.status?.desiredReplicas === 4 ? true : undefined,
    );
    await expect(reader.writeStatus('default', 'gone', {})).rejects.toMatchObject({
      message: expect.stringContaining('autopilot default/gone not found') as unknown,
    });

    // The agent goes away: the list is used until it is too old, then no more.
    await agent.kill();
    agentUp = false;
    await eventually('the stale list dropped', () =>
      reader.list() === undefined ? true : undefined,
    );
  });

  it('sees none on a cluster whose agent does not read Autopilots, and asks it nothing', async () => {
    const h = await startTestHub();
    cleanups.push(() => h.close());
    const made = await h.hub.createCluster('prod', 'prod');
    // No Autopilot client: the agent does not announce autopilot_status.
    const agent = await startTestAgent({
      url: h.url,
      clusterId: 'prod',
      apiKey: made.apiKey,
      secretKey: made.secretKey,
    });
    cleanups.push(() => agent.kill());
    await eventually('its registration', () => h.hub.takes('prod', 'scale'));
    expect(h.hub.takes('prod', 'autopilot_status')).toBe(false);
    let asked = 0;
    const reader = new AgentAutopilots({
      calls: {
        listAutopilots: () => {
          asked++;
          return Promise.resolve([]);
        },
        writeAutopilotStatus: () => Promise.resolve(),
      },
      clock: new RealClock(),
      reachable: () => h.switchboard.reachable('prod'),
      readsAutopilots: () => h.hub.takes('prod', 'autopilot_status'),
      refreshMs: 20,
    });
    await reader.start();
    cleanups.push(() => reader.stop());
    await eventually('the agent reachable', () => h.switchboard.reachable('prod'));
    await new Promise((r) => setTimeout(r, 200));
    expect(reader.list()).toEqual([]);
    expect(asked).toBe(0);
  });
});
