import { untilSettled } from '../cluster/testing/untilSettled.js';
import { describe, expect, it } from 'vitest';
import { Actuator } from '../cluster/actuator.js';
import type { ClusterClient } from '../cluster/clusterClient.js';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { ManualClock } from '../core/clock.js';
import type { VerticalDecision } from '../core/decision.js';
import { HpaPolicy } from '../policies/hpa/hpa.js';
import type { PolicySpec } from '../policies/registry.js';
import { StaticPolicy } from '../policies/static/static.js';
import { type PolicyInput, type ScalingPolicy, verticalDecision } from '../policies/types.js';
import { podSize } from '../policies/usage.js';
import { MemoryDecisionLog } from '../store/decisionLog.js';
import { MemoryPolicyStateStore, type PolicyStateStore } from '../store/policyStates.js';
import { Trace } from '../traces/trace.js';
import { Autoscaler } from './autoscaler.js';
import { DEFAULT_SETTINGS, type ScalingSettings } from './settings.js';

/** Asks for 70 % of each pod's CPU, whatever it sees. */
const lessCpu: ScalingPolicy = {
  name: 'less-cpu',
  kind: 'vertical',
  decide: (i: PolicyInput): VerticalDecision => {
    const size = podSize(i.observation);
    return verticalDecision(
      'less-cpu',
      i.observation,
      { cpuMillicores: size.cpuRequestMillicores * 0.7, memoryBytes: size.memoryRequestBytes },
      { explanation: { reasoning: 'test', factors: [] } },
    );
  },
};

function setup(
  settings: Partial<ScalingSettings> = {},
  wrap?: (sim: SimCluster) => ClusterClient,
  stores: {
    log?: MemoryDecisionLog;
    states?: PolicyStateStore;
    sim?: SimCluster;
    clock?: ManualClock;
  } = {},
) {
  const clock = stores.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
  const sim = stores.sim ?? makeSim(clock);
  let current: ScalingSettings = { ...DEFAULT_SETTINGS, ...settings };
  const log = stores.log ?? new MemoryDecisionLog();
  const policies = new Map<string, ScalingPolicy>();
  const errors: string[] = [];
  const cluster = wrap ? wrap(sim) : sim;
  const actuator = new Actuator({ cluster, clock, journal: log, verifyTimeoutMs: 60_000 });
  const autoscaler = new Autoscaler({
    cluster,
    clock,
    settings: () => current,
    policy: (spec: PolicySpec) => {
      const key = `${spec.name}:${spec.arg ?? ''}`;
      if (!policies.has(key))
        policies.set(
          key,
          spec.name === 'static'
            ? new StaticPolicy(Number(spec.arg))
            : spec.name === 'vpa'
              ? lessCpu
              : new HpaPolicy(),
        );
      return Promise.resolve(policies.get(key)!);
    },
    actuator,
    log,
    policyStates: stores.states,
    onError: (_ns, name, err) => errors.push(`${name}: ${(err as Error).message}`),
  });
  const until = <T>(p: Promise<T>): Promise<T> => untilSettled(clock, actuator, p);
  return {
    clock,
    sim,
    log,
    actuator,
    autoscaler,
    policies,
    errors,
    until,
    set: (s: Partial<ScalingSettings>) => (current = { ...current, ...s }),
    replicas: async (name: string) => (await sim.getWorkload('default', name)).spec?.replicas,
  };
}

function makeSim(clock: ManualClock): SimCluster {
  const sim = new SimCluster(clock, { seed: 'autoscaler' });
  sim.addNode({ name: 'node-1', cpu: '16', memory: '64Gi' });
  const load = new Trace('flat', Float64Array.from([0, 86_400]), Float64Array.from([150, 150]));
  const containers = [
    {
      name: 'app',
      requests: { cpu: '500m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    },
  ];
  sim.createDeployment({
    name: 'web',
    replicas: 2,
    labels: { app: 'web' },
    containers,
    model: { trace: load, noiseCv: 0, cpuSecondsPerRequest: 0.005 },
  });
  sim.createDeployment({ name: 'redis', replicas: 1, labels: { app: 'redis' }, containers });
  sim.createDeployment({
    name: 'batch',
    replicas: 1,
    labels: { app: 'batch' },
    annotations: { 'qpilot.io/mode': 'off' },
    containers,
  });
  clock.advance(120_000);
  return sim;
}

describe('Autoscaler', () => {
  it('decides and records but never acts in dry run, the default', async () => {
    const t = setup({ policy: 'static:4' });
    const results = await t.autoscaler.runOnce();
    const web = results.find((r) => r.name === 'web')!;
    expect(web).toMatchObject({ status: 'success', record: { outcome: 'dry_run' } });
    expect(web.message).toBe('dry run: would scale web from 2 to 4 replicas');
    expect(await t.replicas('web')).toBe(2);
    expect((await t.log.recent(10)).map((r) => r.workload)).toEqual(['web']);
  });

  it('skips excluded workloads and those whose mode is off, saying why', async () => {
    const t = setup({ policy: 'static:4' });
    const results = await t.autoscaler.runOnce();
    expect(results.find((r) => r.name === 'redis')).toMatchObject({
      status: 'skipped',
      reason: 'excluded',
    });
    expect(results.find((r) => r.name === 'batch')).toMatchObject({
      status: 'skipped',
      reason: 'mode_off',
    });
  });

  it('issues a change without waiting for its rollout, and records the outcome when it ends', async () => {
    const t = setup({ policy: 'static:4', dryRun: false });
    // The cycle ends while the clock stands still: it never waits on the 30 s startup.
    const web = (await t.autoscaler.runOnce()).find((r) => r.name === 'web')!;
    expect(web).toMatchObject({ status: 'success', record: { outcome: 'in_progress' } });
    expect(web.message).toBe('scaled web from 2 to 4 replicas; verifying');
    expect(await t.replicas('web')).toBe(4);
    expect(web.record?.metrics.cpuLimitMillicores).toBe(500);
    // While it rolls out, the workload is left alone.
    const again = (await t.autoscaler.runOnce()).find((r) => r.name === 'web')!;
    expect(again).toMatchObject({ status: 'skipped', reason: 'in_progress' });
    expect(again.message).toMatch(
      /scale web from 2 to 4 replicas \(decision #\d+\) is rolling out/,
    );
    const final = await t.until(web.done!);
    expect(final.outcome).toBe('applied');
    expect(final.message).toMatch(/^scaled web from 2 to 4 replicas; done after \d+ s$/);
    expect((await t.log.get(final.id))?.outcome).toBe('applied');
    // A Kubernetes Event on the Deployment says what was done.
    expect(t.sim.events.map((e) => [e.target, e.event.type, e.event.reason])).toEqual([
      [{ kind: 'Deployment', namespace: 'default', name: 'web' }, 'Normal', 'QpilotScaled'],
    ]);
    expect(t.sim.events[0]!.event.message).toContain('scaled web from 2 to 4 replicas');
    expect((await t.autoscaler.runOnce()).find((r) => r.name === 'web')?.record?.outcome).toBe(
      'no_change',
    );
  });

  it('issues every workload’s change in one cycle, however long their rollouts take', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const sim = new SimCluster(clock, { seed: 'twelve' });
    sim.addNode({ name: 'big', cpu: '64', memory: '256Gi' });
    for (let i = 0; i < 12; i++)
      sim.createDeployment({
        name: `svc-${i}`,
        replicas: 1,
        containers: [{ name: 'app', requests: { cpu: '100m', memory: '64Mi' } }],
        model: { startupDelayMs: 30_000 },
      });
    clock.advance(60_000);
    const t = setup({ policy: 'static:3', dryRun: false, excludedDeployments: [] }, undefined, {
      sim,
      clock,
    });
    const started = clock.now();
    const results = await t.autoscaler.runOnce();
    expect(clock.now()).toBe(started);
    expect(results.map((r) => r.record?.outcome)).toEqual(new Array(12).fill('in_progress'));
    const finals = await t.until(Promise.all(results.map((r) => r.done!)));
    expect(finals.map((r) => r.outcome)).toEqual(new Array(12).fill('applied'));
    // Recorded when each rollout finished: after the pods' 30 s startup, not before.
    for (const r of finals) expect(r.settledMs! - r.timeMs).toBeGreaterThanOrEqual(30_000);
  });

  it('records no Event when it does not act', async () => {
    const t = setup({ policy: 'static:4' });
    await t.autoscaler.runOnce();
    expect(t.sim.events).toEqual([]);
  });

  it('holds scale-downs and resizes during the cooldown, never scale-ups', async () => {
    const t = setup({ policy: 'static:4', dryRun: false, scalingCooldownMin: 5 });
    await t.until(t.autoscaler.runOnce().then((r) => r.find((x) => x.name === 'web')!.done!));
    t.set({ policy: 'static:2' });
    const down = await t.autoscaler.processWorkload('default', 'web');
    expect(down).toMatchObject({ status: 'skipped', reason: 'cooldown_period' });
    expect(down.record?.outcome).toBe('cooldown');
    expect(await t.replicas('web')).toBe(4);
    t.set({ policy: 'static:6' });
    const up = await t.autoscaler.processWorkload('default', 'web');
    expect(up.record?.outcome).toBe('in_progress');
    await t.until(up.done!);
    t.clock.advance(5 * 60_000);
    t.set({ policy: 'static:2' });
    expect((await t.autoscaler.processWorkload('default', 'web')).record?.outcome).toBe(
      'in_progress',
    );
    // The guardrails halve at most per decision.
    expect(await t.replicas('web')).toBe(3);
  });

  it('resizes pods in place for a vertical policy', async () => {
    const t = setup({ policy: 'vpa', dryRun: false });
    const web = await t.autoscaler.processWorkload('default', 'web');
    expect(web.record?.outcome).toBe('in_progress');
    expect(web.message).toContain('in place');
    expect((await t.until(web.done!)).outcome).toBe('applied');
    const pods = (await t.sim.listPods({ namespace: 'default', labelSelector: 'app=web' })).items;
    // The guardrails keep CPU above the pods' usage: 0.7 × 500m would be too little here.
    const d = web.record!.decision as VerticalDecision;
    expect(d.cpuMillicores.desired).toBeLessThan(500);
    expect(d.cpuMillicores.desired).toBeGreaterThan(350);
    const wanted = `${d.cpuMillicores.desired}m`;
    expect(pods.map((p) => p.spec?.containers[0]?.resources?.requests?.cpu)).toEqual([
      wanted,
      wanted,
    ]);
  });

  it('isolates a failing workload, backs off, and keeps processing the others', async () => {
    const t = setup(
      {
        policy: 'static:3',
        dryRun: false,
        excludedDeployments: [],
        excludedLabels: {},
        autoScaleIntervalSec: 600,
      },
      (sim) => {
        const broken = Object.create(sim) as SimCluster;
        broken.scaleWorkload = (ns: string, name: string, replicas: number) =>
          name === 'redis'
            ? Promise.reject(new Error('etcd is on fire'))
            : sim.scaleWorkload(ns, name, replicas);
        return broken;
      },
    );
    const first = await t.autoscaler.runOnce();
    expect(first.find((r) => r.name === 'redis')).toMatchObject({
      status: 'error',
      message: 'etcd is on fire',
    });
    expect(first.find((r) => r.name === 'web')?.record?.outcome).toBe('in_progress');
    expect(t.errors).toEqual(['redis: etcd is on fire']);
    // The failed attempt is a decision too.
    expect((await t.log.recent(5)).find((r) => r.workload === 'redis')).toMatchObject({
      outcome: 'failed',
      message: 'scale redis from 1 to 3 replicas failed: etcd is on fire',
    });
    const second = await t.autoscaler.runOnce();
    expect(second.find((r) => r.name === 'redis')).toMatchObject({
      status: 'skipped',
      reason: 'backoff',
    });
    // The skip says why the workload is backing off, not only that it is.
    expect(second.find((r) => r.name === 'redis')?.message).toContain('last: etcd is on fire');
    expect(t.autoscaler.status().failing).toEqual([
      expect.objectContaining({
        workload: 'default/redis',
        failures: 1,
        lastError: 'etcd is on fire',
      }),
    ]);
  });

  it('never processes a workload twice at once', async () => {
    const t = setup({ policy: 'static:4', dryRun: false });
    const [a, b] = await Promise.all([
      t.autoscaler.processWorkload('default', 'web'),
      t.autoscaler.processWorkload('default', 'web'),
    ]);
    expect([a.status, b.status].sort()).toEqual(['skipped', 'success']);
    expect([a.reason, b.reason]).toContain('in_progress');
  });

  it('runs every interval once started, and stops', async () => {
    const t = setup({ policy: 'static:2', autoScaleIntervalSec: 30 });
    t.autoscaler.start();
    for (let i = 0; i < 100; i++) {
      await new Promise((r) => setImmediate(r));
      t.clock.advance(1000);
    }
    await t.autoscaler.stop();
    const cycles = t.autoscaler.status().cycles;
    expect(cycles).toBeGreaterThanOrEqual(3);
    expect(cycles).toBeLessThanOrEqual(5);
    expect(t.autoscaler.status().running).toBe(false);
  });

  describe('after a restart or a failover', () => {
    it('keeps a workload’s cooldown', async () => {
      const log = new MemoryDecisionLog();
      const a = setup({ policy: 'static:4', dryRun: false, scalingCooldownMin: 5 }, undefined, {
        log,
      });
      await a.until(a.autoscaler.runOnce().then((r) => r.find((x) => x.name === 'web')!.done!));
      // A new instance, with the same store and cluster, knows nothing in memory.
      const b = setup({ policy: 'static:2', dryRun: false, scalingCooldownMin: 5 }, undefined, {
        log,
        sim: a.sim,
        clock: a.clock,
      });
      const web = (await b.autoscaler.runOnce()).find((r) => r.name === 'web')!;
      expect(web).toMatchObject({ status: 'skipped', reason: 'cooldown_period' });
      expect(await b.replicas('web')).toBe(4);
      b.clock.advance(5 * 60_000);
      expect((await b.autoscaler.runOnce()).find((r) => r.name === 'web')?.record?.outcome).toBe(
        'in_progress',
      );
    });

    it('verifies the change the previous instance left in flight instead of deciding again', async () => {
      const log = new MemoryDecisionLog();
      const a = setup({ policy: 'static:4', dryRun: false }, undefined, { log });
      const issued = (await a.autoscaler.runOnce()).find((r) => r.name === 'web')!;
      expect(issued.record?.outcome).toBe('in_progress');
      const b = setup({ policy: 'static:6', dryRun: false }, undefined, {
        log,
        sim: a.sim,
        clock: a.clock,
      });
      const web = (await b.autoscaler.runOnce()).find((r) => r.name === 'web')!;
      expect(web).toMatchObject({ status: 'skipped', reason: 'in_progress' });
      expect(await b.replicas('web')).toBe(4);
      for (let i = 0; i < 40; i++) {
        b.clock.advance(1000);
        await b.actuator.poll();
      }
      expect((await log.get(issued.record!.id))?.outcome).toBe('applied');
    });

    it('carries on with each policy’s history', async () => {
      const log = new MemoryDecisionLog();
      const states = new MemoryPolicyStateStore();
      const a = setup({ policy: 'hpa' }, undefined, { log, states });
      for (let i = 0; i < 3; i++) {
        await a.autoscaler.runOnce();
        a.clock.advance(15_000);
      }
      await a.autoscaler.flushStates();
      const saved = (await a.policies.get('hpa:')!.exportState!('default', 'web')) as {
        recommendations: unknown[];
      };
      expect(saved.recommendations).toHaveLength(3);
      const b = setup({ policy: 'hpa' }, undefined, { log, states, sim: a.sim, clock: a.clock });
      await b.autoscaler.restore();
      expect(b.policies.get('hpa:')!.exportState!('default', 'web')).toEqual(saved);
    });
  });
});

describe('Autoscaler latency signals', () => {
  it('hands a workload with an SLO its latency and its SLO, and one without neither', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const sim = new SimCluster(clock, { seed: 'signals' });
    sim.addNode({ name: 'node-1', cpu: '16', memory: '64Gi' });
    const load = new Trace('flat', Float64Array.from([0, 86_400]), Float64Array.from([150, 150]));
    const containers = [
      { name: 'app', requests: { cpu: '500m' }, limits: { cpu: '500m', memory: '256Mi' } },
    ];
    const model = { trace: load, noiseCv: 0, cpuSecondsPerRequest: 0.005 };
    sim.createDeployment({
      name: 'web',
      replicas: 2,
      annotations: { 'qpilot.io/slo-latency-ms': '150' },
      containers,
      model,
    });
    sim.createDeployment({ name: 'api', replicas: 2, containers, model });
    clock.advance(120_000);
    const seen = new Map<string, PolicyInput>();
    const recording: ScalingPolicy = {
      name: 'recording',
      kind: 'horizontal',
      decide: (i) => {
        seen.set(i.observation.name, i);
        return new StaticPolicy(2).decide(i);
      },
    };
    const log = new MemoryDecisionLog();
    const autoscaler = new Autoscaler({
      cluster: sim,
      clock,
      settings: () => DEFAULT_SETTINGS,
      policy: () => Promise.resolve(recording),
      actuator: new Actuator({ cluster: sim, clock, journal: log }),
      log,
      signals: sim,
    });
    await autoscaler.runOnce();
    const web = seen.get('web')!;
    expect(web.slo).toEqual({ latencyP95Ms: 150, maxDropRatio: 0.001 });
    // 150 requests/s on two pods of 100: p95 = 20 ms + ln 20 / (100 - 75) s = 140 ms.
    expect(web.observation.service?.latencyP95Ms).toBeCloseTo(140, -1);
    expect(web.observation.service?.dropRatio).toBe(0);
    expect(seen.get('api')!.slo).toBeUndefined();
    expect(seen.get('api')!.observation.service).toBeUndefined();
  });
});
