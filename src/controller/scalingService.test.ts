import { describe, expect, it } from 'vitest';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { ManualClock } from '../core/clock.js';
import { servingPolicies } from '../policies/servingPolicies.js';
import { MemoryDecisionLog } from '../store/decisionLog.js';
import { type Leadership, ScalingService } from './scalingService.js';
import { DEFAULT_SETTINGS } from './settings.js';

function service(leadership?: Leadership, reachable?: () => boolean) {
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
    reachable,
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

  it('runs no cycle while its cluster cannot be reached, and resumes when it can', async () => {
    let up = false;
    const { s, clock } = service(undefined, () => up);
    s.startLoop();
    const tick = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await new Promise((r) => setImmediate(r));
        clock.advance(1000);
      }
    };
    await tick(5);
    expect(s.autoscaler.status()).toMatchObject({ running: true, cycles: 0 });
    expect(s.loopStatus()).toMatchObject({ cluster_reachable: false });
    up = true;
    await tick(5);
    expect(s.autoscaler.status().cycles).toBeGreaterThan(0);
    expect(s.loopStatus()).toMatchObject({ cluster_reachable: true });
    await s.stopLoop();
  });

  it('makes an operator’s change through the actuator: recorded, announced, starting the cooldown', async () => {
    const { s, sim, log } = service();
    const r = await s.setReplicas('default', 'web', (n) => n + 1, {
      route: 'POST /pod/scale/out',
      bounds: { min: 1, max: 5 },
    });
    expect(r).toMatchObject({ current: 2, requested: 3, desired: 3 });
    expect(r.change?.record).toMatchObject({
      outcome: 'in_progress',
      decision: { policy: 'manual', kind: 'horizontal', replicas: { current: 2, desired: 3 } },
    });
    expect(r.change!.record.metrics.cpuLimitMillicores).toBe(100);
    expect((await log.recent(1))[0]!.id).toBe(r.change!.record.id);
    expect(sim.events.at(-1)?.event).toMatchObject({ reason: 'QpilotScaled' });
    expect(sim.events.at(-1)?.event.message).toMatch(/^manual: scaled web from 2 to 3 replicas/);
    // The loop now leaves web alone for its cooldown (a scale-down would wait).
    s.configure({ dry_run: false, scaling_cooldown: 10 });
    await s.actuator.poll();
    const next = await s.autoscaler.processWorkload('default', 'web');
    expect(['cooldown_period', 'in_progress']).toContain(next.reason);
  });

  it('holds an operator’s count within the pod bounds and the workload’s, and says so', async () => {
    const { s, sim } = service();
    const r = await s.setReplicas('default', 'web', () => 9, {
      route: 'POST /pod/set-pod-count',
      bounds: { min: 1, max: 5 },
    });
    expect(r).toMatchObject({ requested: 9, desired: 5, bounds: { min: 1, max: 5 } });
    expect(r.change?.record.decision.guardrails).toEqual(['replicas held within [1, 5] (9 asked)']);
    expect((await sim.getWorkload('default', 'web')).spec?.replicas).toBe(5);
  });

  it('refuses, and records nothing, outside the namespaces it manages or on an excluded workload', async () => {
    const { s, sim, log } = service();
    sim.createNamespace('other');
    sim.createDeployment({
      namespace: 'other',
      name: 'api',
      replicas: 1,
      containers: [{ name: 'app', requests: { cpu: '100m' } }],
    });
    sim.createDeployment({
      name: 'redis',
      replicas: 1,
      containers: [{ name: 'app', requests: { cpu: '100m' } }],
    });
    const opts = { route: 'POST /pod/scale/out', bounds: { min: 1, max: 5 } };
    await expect(s.setReplicas('other', 'api', (n) => n + 1, opts)).rejects.toMatchObject({
      code: 'QP_ERR_FORBIDDEN',
      message: 'namespace "other" is not one qpilot manages (namespaces: default)',
    });
    await expect(s.setReplicas('default', 'redis', (n) => n + 1, opts)).rejects.toMatchObject({
      code: 'QP_ERR_FORBIDDEN',
      message: 'qpilot leaves redis alone: redis is in excluded_deployments',
    });
    expect(await log.recent(5)).toEqual([]);
    expect((await sim.getWorkload('default', 'redis')).spec?.replicas).toBe(1);
  });

  it('removes each unhealthy pod as a decision of its own', async () => {
    const { s, sim, log } = service();
    const pods = (await sim.listPods({ namespace: 'default' })).items.map((p) => p.metadata!.name!);
    sim.injectPodState('default', pods[0]!, 'CrashLoopBackOff');
    const r = await s.deleteUnhealthyPods('default', 'web', 'POST /pod/confirm');
    expect(r.deleted).toEqual([
      expect.objectContaining({ name: pods[0], status: 'CrashLoopBackOff' }),
    ]);
    expect((await log.recent(5)).map((x) => [x.decision.kind, x.pod])).toEqual([
      ['pod_deletion', pods[0]],
    ]);
    expect(sim.events.map((e) => e.event.reason)).toEqual(['QpilotPodDeleted']);
  });

  it('takes over its predecessor’s cooldowns when it becomes the leader', async () => {
    const { sim, clock, log } = service();
    let leads = false;
    const standby = new ScalingService({
      cluster: sim,
      clock,
      settings: { ...DEFAULT_SETTINGS, autoScaleEnabled: false, dryRun: false, policy: 'static:1' },
      policy: servingPolicies(undefined),
      log,
      leadership: { isLeader: () => leads, holder: () => 'other' },
    });
    // Meanwhile the leader (another instance, the same store) scaled web.
    const leader = new ScalingService({
      cluster: sim,
      clock,
      settings: { ...DEFAULT_SETTINGS, autoScaleEnabled: false, dryRun: false, policy: 'static:3' },
      policy: servingPolicies(undefined),
      log,
    });
    expect((await leader.autoscaler.processWorkload('default', 'web')).record?.outcome).toBe(
      'in_progress',
    );
    leads = true;
    // The new leader would scale down at once, but the store says web changed a moment ago.
    const r = await standby.autoscaler.processWorkload('default', 'web');
    expect(r).toMatchObject({ status: 'skipped', reason: 'in_progress' });
    for (let i = 0; i < 40; i++) {
      clock.advance(1000);
      await standby.actuator.poll();
    }
    expect((await standby.autoscaler.processWorkload('default', 'web')).reason).toBe(
      'cooldown_period',
    );
    expect((await sim.getWorkload('default', 'web')).spec?.replicas).toBe(3);
  });

  it('applies a configuration whole or not at all', () => {
    const { s } = service();
    expect(() => s.configure({ dry_run: false, scale_factor: 7 })).toThrow('scale_factor');
    expect(s.settings().dryRun).toBe(true);
    s.configure({ dry_run: false, scale_factor: 0.3 });
    expect(s.settings()).toMatchObject({ dryRun: false, scaleFactor: 0.3 });
  });
});
