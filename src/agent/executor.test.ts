import { describe, expect, it } from 'vitest';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { ManualClock } from '../core/clock.js';
import type { Action } from '../core/protocol.js';
import { sign } from '../core/signing.js';
import { ActionExecutor } from './executor.js';

const SECRET = 's'.repeat(32);

function setup(enabled?: Action['type'][]) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'executor' });
  sim.addNode({ name: 'node-1', cpu: '8', memory: '32Gi' });
  sim.createDeployment({
    name: 'web',
    replicas: 2,
    labels: { app: 'web' },
    containers: [{ name: 'app', requests: { cpu: '250m', memory: '128Mi' } }],
  });
  clock.advance(60_000);
  const logs: string[] = [];
  const executor = new ActionExecutor({
    cluster: sim,
    clock,
    secretKey: SECRET,
    enabled,
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  const run = (action: Action, secret = SECRET, atMs = clock.now()) =>
    executor.execute(action, sign(secret, action, atMs));
  return { clock, sim, executor, logs, run };
}

const scale: Action = { id: 'a-1', type: 'scale', namespace: 'default', name: 'web', replicas: 3 };

describe("the agent's actuator", () => {
  it('carries out a signed action through ClusterClient and says what it did', async () => {
    const t = setup();
    expect(await t.run(scale)).toMatchObject({
      actionId: 'a-1',
      outcome: 'succeeded',
      message: 'scaled default/web from 2 to 3',
    });
    expect((await t.sim.getWorkload('default', 'web')).spec?.replicas).toBe(3);
    expect(await t.run({ id: 'a-2', type: 'cordon', node: 'node-1' })).toMatchObject({
      outcome: 'succeeded',
    });
    expect((await t.sim.getNode('node-1')).spec?.unschedulable).toBe(true);
    expect(t.logs).toContain('info Executing action a-1: scale default/web to 3');
  });

  it('refuses a forged, stale or replayed action, logs why, and changes nothing', async () => {
    const t = setup();
    const forged = await t.run(scale, 'x'.repeat(32));
    expect(forged).toMatchObject({
      outcome: 'refused',
      message: expect.stringMatching(/^bad_signature/) as unknown,
    });
    const stale = await t.run({ ...scale, id: 'a-3' }, SECRET, t.clock.now() - 10 * 60_000);
    expect(stale.message).toMatch(/^stale/);
    const action = { ...scale, id: 'a-4' };
    const sig = sign(SECRET, action, t.clock.now());
    expect((await t.executor.execute(action, sig)).outcome).toBe('succeeded');
    expect((await t.executor.execute(action, sig)).message).toMatch(/^replayed/);
    expect(t.logs.filter((l) => l.includes('signature check failed'))).toHaveLength(3);
  });

  it('refuses an action type it does not take', async () => {
    const t = setup(['scale']);
    const r = await t.run({ id: 'a-5', type: 'drain', node: 'node-1', timeoutSec: 30 });
    expect(r).toMatchObject({ outcome: 'refused', message: 'drain is not enabled on this agent' });
    expect((await t.sim.getNode('node-1')).spec?.unschedulable).toBeFalsy();
  });

  it('reports a failure the cluster gave, with its message', async () => {
    const t = setup();
    const r = await t.run({ ...scale, id: 'a-6', name: 'nothing' });
    expect(r.outcome).toBe('failed');
    expect(r.message).toMatch(/nothing/);
  });

  it('takes no autopilot_status without an Autopilot client, and does not announce it', async () => {
    const t = setup();
    const r = await t.run({
      id: 'a-7',
      type: 'autopilot_status',
      namespace: 'default',
      name: 'web',
      status: { desiredReplicas: 3 },
    });
    expect(r).toMatchObject({
      outcome: 'refused',
      message: 'autopilot_status is not enabled on this agent',
    });
    expect(t.executor.actions()).not.toContain('autopilot_status');
    expect(t.executor.actions()).toContain('scale');
  });
});
