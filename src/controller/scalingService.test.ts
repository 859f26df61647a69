import { describe, expect, it } from 'vitest';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { ManualClock } from '../core/clock.js';
import { servingPolicies } from '../policies/servingPolicies.js';
import { MemoryDecisionLog } from '../store/decisionLog.js';
import { type Leadership, ScalingService } from './scalingService.js';
import { DEFAULT_SETTINGS } from './settings.js';

function service(leadership?: Leadership) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'svc' });
  sim.addNode({ name: 'n1', cpu: '4', memory: '16Gi' });
  sim.createDeployment({
    name: 'web',
    replicas: 2,
    containers: [{ name: 'app', requests: { cpu: '100m', memory: '64Mi' } }],
  });
  clock.advance(60_000);
  const log = new MemoryDecisionLog();
  const s = new ScalingService({
    cluster: sim,
    clock,
    settings: { ...DEFAULT_SETTINGS, autoScaleEnabled: false, policy: 'hpa' },
    policy: servingPolicies(undefined),
    log,
    leadership,
  });
  return { s, sim, log, clock };
}

describe('ScalingService', () => {
  it('refuses changes on a standby, naming the leader', () => {
    let leader = false;
    const { s } = service({ isLeader: () => leader, holder: () => 'qpilot-b' });
    expect(() => s.requireLeader()).toThrow(/standby; the leader \(qpilot-b\)/);
    leader = true;
    expect(() => s.requireLeader()).not.toThrow();
  });

  it('runs no cycle while it is a standby', async () => {
    const { s, clock } = service({ isLeader: () => false, holder: () => undefined });
    s.startLoop();
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(1000);
    }
    expect(s.autoscaler.status()).toMatchObject({ running: true, cycles: 0 });
    await s.stopLoop();
  });

  it('records a manual change with its usage, and announces it with an Event', async () => {
    const { s, sim, log } = service();
    const r = await s.recordManual({
      namespace: 'default',
      workload: 'web',
      kind: 'horizontal',
      replicas: { current: 2, desired: 3 },
      route: 'POST /pod/scale/out',
      message: 'web from 2 to 3 pods',
    });
    expect(r).toMatchObject({ outcome: 'applied', decision: { policy: 'manual' } });
    expect(r.metrics.cpuLimitCores).toBeGreaterThan(0);
    expect((await log.recent(1))[0]!.id).toBe(r.id);
    expect(sim.events.at(-1)?.event).toMatchObject({ reason: 'QpilotManualChange' });
  });

  it('applies a configuration whole or not at all', () => {
    const { s } = service();
    expect(() => s.configure({ dry_run: false, scale_factor: 7 })).toThrow('scale_factor');
    expect(s.settings().dryRun).toBe(true);
    s.configure({ dry_run: false, scale_factor: 0.3 });
    expect(s.settings()).toMatchObject({ dryRun: false, scaleFactor: 0.3 });
  });
});
