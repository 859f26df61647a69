import { describe, expect, it } from 'vitest';
import type { ClusterClient } from '../cluster/clusterClient.js';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { ManualClock } from '../core/clock.js';
import { HpaPolicy } from '../policies/hpa/hpa.js';
import type { PolicySpec } from '../policies/registry.js';
import { StaticPolicy } from '../policies/static/static.js';
import type { Decision, PolicyInput, ScalingPolicy } from '../policies/types.js';
import { MemoryDecisionLog } from '../store/decisionLog.js';
import { Trace } from '../traces/trace.js';
import { Autoscaler } from './autoscaler.js';
import { DEFAULT_SETTINGS, type ScalingSettings } from './settings.js';

/** Resolves `promise` while moving the manual clock, as time passes for a real cluster. */
async function drive<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let done = false;
  const settled = promise.finally(() => {
    done = true;
  });
  while (!done) {
    await new Promise((r) => setImmediate(r));
    if (!done) clock.advance(1000);
  }
  return settled;
}

/** Asks for half the CPU of each pod, whatever it sees. */
const halfCpu: ScalingPolicy = {
  name: 'half-cpu',
  kind: 'vertical',
  decide: (i: PolicyInput): Decision => {
    const cpu = i.observation.template.cpuRequestMillicores / 1000;
    const mem = i.observation.template.memoryRequestBytes / 2 ** 20;
    return {
      policy: 'half-cpu',
      kind: 'vertical',
      namespace: i.observation.namespace,
      name: i.observation.name,
      timeMs: i.observation.timeMs,
      resources: {
        cpu: { current: cpu, new: cpu * 0.7, change_percent: -30, action: 'DECREASE' },
        memory: { current: mem, new: mem, change_percent: 0, action: 'MAINTAIN' },
      },
      canScale: true,
      explanation: { reasoning: 'test', factors: [] },
    };
  },
};

function setup(settings: Partial<ScalingSettings> = {}, wrap?: (sim: SimCluster) => ClusterClient) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
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
  let current: ScalingSettings = { ...DEFAULT_SETTINGS, ...settings };
  const log = new MemoryDecisionLog();
  const policies = new Map<string, ScalingPolicy>();
  const errors: string[] = [];
  const autoscaler = new Autoscaler({
    cluster: wrap ? wrap(sim) : sim,
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
              ? halfCpu
              : new HpaPolicy(),
        );
      return Promise.resolve(policies.get(key)!);
    },
    log,
    verifyTimeoutMs: 60_000,
    onError: (_ns, name, err) => errors.push(`${name}: ${(err as Error).message}`),
  });
  return {
    clock,
    sim,
    log,
    autoscaler,
    errors,
    set: (s: Partial<ScalingSettings>) => (current = { ...current, ...s }),
    replicas: async (name: string) => (await sim.getWorkload('default', name)).spec?.replicas,
  };
}

describe('Autoscaler', () => {
  it('decides and records but never acts in dry run, the default', async () => {
    const t = setup({ policy: 'static:4' });
    const results = await drive(t.clock, t.autoscaler.runOnce());
    const web = results.find((r) => r.name === 'web')!;
    expect(web).toMatchObject({ status: 'success', record: { outcome: 'dry_run' } });
    expect(web.message).toBe('dry run: would scale web from 2 to 4 replicas');
    expect(await t.replicas('web')).toBe(2);
    expect((await t.log.recent(10)).map((r) => r.workload)).toEqual(['web']);
  });

  it('skips excluded workloads and those whose mode is off, saying why', async () => {
    const t = setup({ policy: 'static:4' });
    const results = await drive(t.clock, t.autoscaler.runOnce());
    expect(results.find((r) => r.name === 'redis')).toMatchObject({
      status: 'skipped',
      reason: 'excluded',
    });
    expect(results.find((r) => r.name === 'batch')).toMatchObject({
      status: 'skipped',
      reason: 'mode_off',
    });
  });

  it('acts when dry run is off, verifies, and records the outcome', async () => {
    const t = setup({ policy: 'static:4', dryRun: false });
    const web = (await drive(t.clock, t.autoscaler.runOnce())).find((r) => r.name === 'web')!;
    expect(web.record?.outcome).toBe('applied');
    expect(web.message).toMatch(/^scaled web from 2 to 4 replicas; ready after \d+ s$/);
    expect(await t.replicas('web')).toBe(4);
    expect(web.record?.metrics.cpuLimitCores).toBe(0.5);
    // A Kubernetes Event on the Deployment says what was done.
    expect(t.sim.events.map((e) => [e.target, e.event.type, e.event.reason])).toEqual([
      [{ kind: 'Deployment', namespace: 'default', name: 'web' }, 'Normal', 'QpilotScaled'],
    ]);
    expect(t.sim.events[0]!.event.message).toContain('scaled web from 2 to 4 replicas');
  });

  it('records no Event when it does not act', async () => {
    const t = setup({ policy: 'static:4' });
    await drive(t.clock, t.autoscaler.runOnce());
    expect(t.sim.events).toEqual([]);
  });

  it('holds scale-downs and resizes during the cooldown, never scale-ups', async () => {
    const t = setup({ policy: 'static:4', dryRun: false, scalingCooldownMin: 5 });
    await drive(t.clock, t.autoscaler.runOnce());
    t.set({ policy: 'static:2' });
    const down = await drive(t.clock, t.autoscaler.processWorkload('default', 'web'));
    expect(down).toMatchObject({ status: 'skipped', reason: 'cooldown_period' });
    expect(down.record?.outcome).toBe('cooldown');
    expect(await t.replicas('web')).toBe(4);
    t.set({ policy: 'static:6' });
    const up = await drive(t.clock, t.autoscaler.processWorkload('default', 'web'));
    expect(up.record?.outcome).toBe('applied');
    t.clock.advance(5 * 60_000);
    t.set({ policy: 'static:2' });
    expect(
      (await drive(t.clock, t.autoscaler.processWorkload('default', 'web'))).record?.outcome,
    ).toBe('applied');
    // The guardrails halve at most per decision.
    expect(await t.replicas('web')).toBe(3);
  });

  it('resizes pods in place for a vertical policy', async () => {
    const t = setup({ policy: 'vpa', dryRun: false });
    const web = await drive(t.clock, t.autoscaler.processWorkload('default', 'web'));
    expect(web.record?.outcome).toBe('applied');
    expect(web.message).toContain('(in_place)');
    const pods = (await t.sim.listPods({ namespace: 'default', labelSelector: 'app=web' })).items;
    // The guardrails keep CPU above the pods' usage: 0.7 × 500m would be too little here.
    const cpu = web.record!.decision.resources!.cpu.new;
    expect(cpu).toBeLessThan(0.5);
    expect(cpu).toBeGreaterThan(0.35);
    const wanted = `${Math.round(cpu * 1000)}m`;
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
    const first = await drive(t.clock, t.autoscaler.runOnce());
    expect(first.find((r) => r.name === 'redis')).toMatchObject({
      status: 'error',
      message: 'etcd is on fire',
    });
    expect(first.find((r) => r.name === 'web')?.record?.outcome).toBe('applied');
    expect(t.errors).toEqual(['redis: etcd is on fire']);
    const second = await drive(t.clock, t.autoscaler.runOnce());
    expect(second.find((r) => r.name === 'redis')).toMatchObject({
      status: 'skipped',
      reason: 'backoff',
    });
    expect(t.autoscaler.status().failing).toEqual([
      expect.objectContaining({ workload: 'default/redis', failures: 1 }),
    ]);
  });

  it('never processes a workload twice at once', async () => {
    const t = setup({ policy: 'static:4', dryRun: false });
    const [a, b] = await drive(
      t.clock,
      Promise.all([
        t.autoscaler.processWorkload('default', 'web'),
        t.autoscaler.processWorkload('default', 'web'),
      ]),
    );
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
});
