import { describe, expect, it } from 'vitest';
import { Actuator } from '../cluster/actuator.js';
import type { AutopilotSpec } from '../cluster/autopilot.js';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { MemoryAutopilots } from '../cluster/testing/memoryAutopilots.js';
import { untilSettled } from '../cluster/testing/untilSettled.js';
import { ManualClock } from '../core/clock.js';
import { HpaPolicy } from '../policies/hpa/hpa.js';
import type { PolicySpec } from '../policies/registry.js';
import { StaticPolicy } from '../policies/static/static.js';
import type { ScalingPolicy } from '../policies/types.js';
import { MemoryDecisionLog } from '../store/decisionLog.js';
import { Trace } from '../traces/trace.js';
import { AutopilotController } from './autopilotController.js';
import { Autoscaler } from './autoscaler.js';
import { DEFAULT_SETTINGS, type ScalingSettings } from './settings.js';

const NS = 'shop';

function setup(settings: Partial<ScalingSettings> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'autopilots' });
  sim.addNode({ name: 'node-1', cpu: '32', memory: '64Gi' });
  const containers = [
    {
      name: 'app',
      requests: { cpu: '500m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    },
  ];
  const load = new Trace('flat', Float64Array.from([0, 86_400]), Float64Array.from([150, 150]));
  for (const name of ['web', 'api'])
    sim.createDeployment({
      namespace: NS,
      name,
      replicas: 2,
      labels: { app: name },
      containers,
      model: { trace: load, noiseCv: 0, cpuSecondsPerRequest: 0.005 },
    });
  clock.advance(120_000);
  const autopilots = new MemoryAutopilots();
  const log = new MemoryDecisionLog();
  const errors: string[] = [];
  const actuator = new Actuator({ cluster: sim, clock, journal: log, verifyTimeoutMs: 60_000 });
  const controller = new AutopilotController({
    client: autopilots,
    cluster: sim,
    clock,
    onError: (_ns, name, err) => errors.push(`${name}: ${String(err)}`),
  });
  let current: ScalingSettings = { ...DEFAULT_SETTINGS, dryRun: false, ...settings };
  const policies = new Map<string, ScalingPolicy>();
  const autoscaler = new Autoscaler({
    cluster: sim,
    clock,
    settings: () => current,
    policy: (spec: PolicySpec) => {
      const key = `${spec.name}:${spec.arg ?? ''}`;
      if (!policies.has(key))
        policies.set(
          key,
          spec.name === 'static' ? new StaticPolicy(Number(spec.arg)) : new HpaPolicy(),
        );
      return Promise.resolve(policies.get(key)!);
    },
    actuator,
    log,
    autopilots: controller,
    onError: (_ns, name, err) => errors.push(`${name}: ${String(err)}`),
  });
  const apply = (
    name: string,
    spec: Partial<AutopilotSpec>,
    annotations?: Record<string, string>,
  ) =>
    autopilots.apply({
      apiVersion: 'qpilot.io/v1alpha1',
      kind: 'Autopilot',
      metadata: {
        name,
        namespace: NS,
        uid: `uid-${name}`,
        creationTimestamp: new Date(clock.now()),
        ...(annotations ? { annotations } : {}),
      },
      spec: {
        targetRef: { kind: 'Deployment', name: 'web' },
        ...spec,
        // The tests' static policy holds 6 replicas unless a test says otherwise.
        ...(spec.policy === 'static' && !spec.constraints
          ? { constraints: { minReplicas: 6 } }
          : {}),
      },
    });
  return {
    clock,
    sim,
    log,
    actuator,
    autopilots,
    autoscaler,
    controller,
    errors,
    apply,
    set: (s: Partial<ScalingSettings>) => (current = { ...current, ...s }),
    cycle: () => untilSettled(clock, actuator, autoscaler.runOnce()),
    replicas: async (name = 'web') => (await sim.getWorkload(NS, name)).spec?.replicas,
    status: (name = 'web') => autopilots.get(NS, name)?.status,
    condition: (type: string, name = 'web') =>
      autopilots.get(NS, name)?.status?.conditions?.find((c) => c.type === type),
  };
}

describe('Autopilots in the control loop', () => {
  it('steers the target outside qpilot’s namespaces and writes its status', async () => {
    const s = setup();
    s.apply('web', { policy: 'static', mode: 'Auto' });
    const results = await s.cycle();
    // Only the Autopilot's target: the namespace is not one qpilot manages otherwise.
    expect(results.map((r) => r.name)).toEqual(['web']);
    expect(await s.replicas()).toBe(6);
    expect(await s.replicas('api')).toBe(2);
    const status = s.status()!;
    expect(status).toMatchObject({
      observedGeneration: 1,
      desiredReplicas: 6,
      recommendation: { replicas: 6 },
      lastDecision: { action: 'scale 2 → 6', policy: 'static-6', outcome: 'in_progress' },
      recentActions: [{ action: 'scale 2 → 6' }],
    });
    expect(s.condition('Ready')).toMatchObject({ status: 'True', reason: 'TargetFound' });
    expect(s.condition('Active')).toMatchObject({ status: 'True', reason: 'Acting' });
    expect(s.sim.events.map((e) => [e.target.kind, e.event.reason])).toContainEqual([
      'Autopilot',
      'QpilotScaled',
    ]);
    expect(s.errors).toEqual([]);
  });

  it('settles the outcome of a change in the status once its rollout is done', async () => {
    const s = setup();
    s.apply('web', { policy: 'static' });
    const [web] = await s.cycle();
    await untilDone(s, web!.done!);
    expect(s.status()?.lastDecision?.outcome).toBe('applied');
    expect(s.status()?.recentActions?.[0]?.outcome).toBe('applied');
  });

  it('in Recommend mode records a recommendation and never changes the target', async () => {
    const s = setup();
    s.apply('web', { policy: 'static', mode: 'Recommend' });
    const [web] = await s.cycle();
    expect(web).toMatchObject({ status: 'success', record: { outcome: 'recommend' } });
    expect(await s.replicas()).toBe(2);
    expect(s.status()).toMatchObject({ currentReplicas: 2, recommendation: { replicas: 6 } });
    expect(s.condition('Active')).toMatchObject({ status: 'False', reason: 'Recommend' });
    expect(s.status()?.recentActions).toBeUndefined();
  });

  it('writes nothing while nothing changes: the requests do not grow with Autopilots', async () => {
    const s = setup();
    s.apply('web', { policy: 'static', mode: 'Recommend' });
    await s.cycle();
    const writes = s.autopilots.statusWrites;
    for (let i = 0; i < 5; i++) {
      s.clock.advance(30_000);
      await s.cycle();
    }
    expect(s.autopilots.statusWrites).toBe(writes);
  });

  it('compares with the watched status after standing by, not with what it wrote before', async () => {
    const s = setup();
    s.apply('web', { policy: 'static', mode: 'Recommend' });
    await s.cycle();
    const mine = s.autopilots.get(NS, 'web')!.status!;
    // Another leader wrote meanwhile (here: a status that lost the recommendation).
    s.autopilots.get(NS, 'web')!.status = { ...mine, recommendation: undefined };
    const writes = s.autopilots.statusWrites;
    await s.cycle();
    expect(s.autopilots.statusWrites).toBe(writes); // it trusts what it wrote
    s.controller.forget();
    await s.cycle();
    expect(s.autopilots.statusWrites).toBe(writes + 1);
    expect(s.status()?.recommendation).toEqual({ replicas: 6 });
  });

  it('stops changing the target when paused, off or deleted', async () => {
    const s = setup();
    s.apply('web', { policy: 'static' }, { 'qpilot.io/paused': 'true' });
    let [web] = await s.cycle();
    expect(web).toMatchObject({ status: 'skipped', reason: 'paused' });
    expect(s.condition('Active')).toMatchObject({ status: 'False', reason: 'Paused' });
    s.apply('web', { policy: 'static', mode: 'Off' });
    [web] = await s.cycle();
    expect(web).toMatchObject({ status: 'skipped', reason: 'mode_off' });
    expect(s.condition('Active')).toMatchObject({ status: 'False', reason: 'Off' });
    expect(s.status()?.observedGeneration).toBe(2);
    s.autopilots.delete(NS, 'web');
    expect(await s.cycle()).toEqual([]);
    expect(await s.replicas()).toBe(2);
  });

  it('wins over the Deployment’s annotations in a namespace qpilot manages', async () => {
    const s = setup({ namespaces: [NS] });
    await s.sim.label({ kind: 'Deployment', namespace: NS, name: 'web' }, {});
    s.apply('web', { policy: 'static', mode: 'Recommend' });
    const results = await s.cycle();
    expect(results.find((r) => r.name === 'web')?.record?.outcome).toBe('recommend');
    // The other Deployment of the namespace is managed as before (the HPA, by default).
    expect(results.find((r) => r.name === 'api')?.record?.decision.policy).toBe('hpa');
  });

  it('reports a missing target, and a second Autopilot of the same target, with an Event', async () => {
    const s = setup();
    s.apply('ghost', { targetRef: { kind: 'Deployment', name: 'nothing' } });
    s.apply('web', { policy: 'static', mode: 'Recommend' });
    s.clock.advance(1000);
    s.apply('web-2', { policy: 'static' });
    await s.cycle();
    expect(s.condition('Ready', 'ghost')).toMatchObject({
      status: 'False',
      reason: 'TargetNotFound',
    });
    expect(s.condition('Ready', 'web-2')).toMatchObject({ status: 'False', reason: 'Conflict' });
    expect(await s.replicas()).toBe(2);
    const warnings = s.sim.events.filter((e) => e.event.type === 'Warning');
    expect(warnings.map((e) => [e.target.name, e.event.reason])).toEqual([
      ['ghost', 'TargetNotFound'],
      ['web-2', 'Conflict'],
    ]);
  });

  it('holds a scale-up within behavior.scaleUp and says so in Limited', async () => {
    const s = setup();
    s.apply('web', {
      policy: 'static',
      constraints: { minReplicas: 6 },
      behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 600 }] } },
    });
    await s.cycle();
    expect(await s.replicas()).toBe(3);
    expect(s.condition('Limited')).toMatchObject({ status: 'True', reason: 'Limited' });
    expect(s.condition('Limited')?.message).toMatch(/scaleUp.policies allow 3 replicas/);
    expect(s.status()?.recentActions?.[0]?.limitedBy).toMatch(/behavior/);
  });

  it('applies constraints and objectives: replicas within min and max', async () => {
    const s = setup();
    s.apply('web', { policy: 'hpa', constraints: { minReplicas: 5, maxReplicas: 8 } });
    await s.cycle();
    expect(await s.replicas()).toBe(5);
  });

  it('decides nothing while the Autopilots are not known', async () => {
    const s = setup({ namespaces: [NS] });
    s.autopilots.synced = false;
    const results = await s.cycle();
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'error', name: '*' });
    expect(results[0]!.message).toMatch(/not known yet/);
    expect(await s.replicas()).toBe(2);
  });

  it('refuses a static policy without the count it holds', async () => {
    const s = setup();
    s.apply('web', { policy: 'static', constraints: { maxReplicas: 4 } });
    const [web] = await s.cycle();
    expect(web).toMatchObject({ status: 'skipped', reason: 'invalid_spec' });
    expect(s.condition('Ready')?.message).toMatch(/set constraints.minReplicas/);
  });

  it('refuses a fallback other than the learned policy’s baseline', async () => {
    const s = setup();
    s.apply('web', { policy: 'dqn', fallback: { policy: 'static' } });
    const [web] = await s.cycle();
    expect(web).toMatchObject({ status: 'skipped', reason: 'invalid_spec' });
    expect(s.condition('Ready')?.message).toMatch(/dqn's baseline is hpa/);
  });

  it('refuses a constraint on a container the target does not have', async () => {
    const s = setup();
    s.apply('web', {
      policy: 'static',
      constraints: {
        minReplicas: 6,
        containers: [{ name: 'sidecar', minAllowed: { cpu: '100m' } }],
      },
    });
    const [web] = await s.cycle();
    expect(web).toMatchObject({ status: 'skipped', reason: 'invalid_spec' });
    expect(s.condition('Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(s.condition('Ready')?.message).toMatch(/"sidecar" is not a container of web \(app\)/);
  });
});

async function untilDone(s: ReturnType<typeof setup>, done: Promise<unknown>): Promise<void> {
  await untilSettled(s.clock, s.actuator, done);
  // The status is written when the change settles, in the background.
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
