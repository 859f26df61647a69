/**
 * One control-loop cycle over 1,000 workloads and 10,000 pods on the simulator: observe each
 * namespace in three listings, decide (one batch per policy), apply the guardrails, record, and
 * issue the changes through the actuator without waiting for their rollouts.
 *
 * - `steady`: dry run, with the HPA and with the served DQN. Target for dqn: ≤ 100 ms.
 * - `surge`: dry run off, the served DQN, while 100 of the workloads take a surge of traffic
 *   and scale up with 30 s startups: the cycle that issues the 100 changes, and the cycles
 *   that follow while they roll out (their workloads skipped as in_progress, their rollouts
 *   looked at by the actuator at the start of each cycle).
 */
import { SimCluster } from '../src/cluster/sim/simCluster.js';
import type { ClusterClient } from '../src/cluster/clusterClient.js';
import { ScalingService } from '../src/controller/scalingService.js';
import { DEFAULT_SETTINGS } from '../src/controller/settings.js';
import { ManualClock } from '../src/core/clock.js';
import { BUNDLED_MODELS_DIR } from '../src/policies/models.js';
import { loadServingModels, type ServingModels } from '../src/policies/servingModels.js';
import { servingPolicies } from '../src/policies/servingPolicies.js';
import { MemoryDecisionLog } from '../src/store/decisionLog.js';
import { Trace } from '../src/traces/trace.js';
import { emit, median } from './lib.js';

const WORKLOADS = 1000;
const PODS_PER_WORKLOAD = 10;
const NAMESPACES = 10;
const SURGING = 100;

function cluster(clock: ManualClock): SimCluster {
  const sim = new SimCluster(clock, { seed: 'loop', startMs: clock.now() });
  for (let i = 0; i < 240; i++)
    sim.addNode({ name: `node-${String(i).padStart(3, '0')}`, cpu: '16', memory: '64Gi' });
  for (let n = 0; n < NAMESPACES; n++) sim.createNamespace(`team-${n}`);
  for (let d = 0; d < WORKLOADS; d++)
    sim.createDeployment({
      namespace: `team-${d % NAMESPACES}`,
      name: `svc-${d}`,
      replicas: PODS_PER_WORKLOAD,
      containers: [
        {
          name: 'app',
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '200m', memory: '256Mi' },
        },
      ],
      model: { startupDelayMs: 30_000 },
    });
  // Two metrics-server windows, so that every pod has usage.
  clock.advance(120_000);
  sim.sync();
  return sim;
}

/**
 * The simulator behind a stopwatch: the time spent inside its calls is the cluster's (an API
 * server's listing, metrics-server's answer), not qpilot's.
 */
class Stopwatch {
  ms = 0;
  wrap(sim: SimCluster): ClusterClient {
    return new Proxy(sim, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        // The simulator answers synchronously and hands back a settled promise: the time
        // until the call returns is its work, whatever else is awaited meanwhile.
        return (...args: unknown[]) => {
          const t0 = performance.now();
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          this.ms += performance.now() - t0;
          return result;
        };
      },
    });
  }
}

function service(
  sim: SimCluster,
  clock: ManualClock,
  models: ServingModels,
  policy: string,
  dryRun: boolean,
  watch = new Stopwatch(),
) {
  return new ScalingService({
    cluster: watch.wrap(sim),
    clock,
    settings: {
      ...DEFAULT_SETTINGS,
      policy,
      dryRun,
      autoScaleEnabled: false,
      namespaces: Array.from({ length: NAMESPACES }, (_, n) => `team-${n}`),
      excludedDeployments: [],
    },
    policy: servingPolicies(models),
    log: new MemoryDecisionLog(100_000),
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; cpuMs: number; value: T }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, value };
}

async function steady(models: ServingModels, policy: string, rounds: number): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = cluster(clock);
  const pods = (await sim.listPods()).items.length;
  const watch = new Stopwatch();
  const s = service(sim, clock, models, policy, true, watch);
  const times: number[] = [];
  const cpu: number[] = [];
  const own: number[] = [];
  let decided = 0;
  // The first cycle warms the JIT, builds the policy and restores from the store: not counted.
  for (let i = 0; i <= rounds; i++) {
    clock.advance(15_000);
    // The simulation of those 15 s (the cluster's own work) is not qpilot's cycle.
    sim.sync();
    watch.ms = 0;
    const { ms, cpuMs, value } = await timed(() => s.autoscaler.runOnce());
    decided = value.filter((r) => r.status === 'success').length;
    if (i > 0) {
      times.push(ms);
      cpu.push(cpuMs);
      own.push(ms - watch.ms);
    }
  }
  emit({
    bench: 'loop-cycle',
    case: 'steady',
    policy,
    workloads: WORKLOADS,
    pods,
    decided,
    rounds,
    cycleMsP50: Number(median(times).toFixed(1)),
    cycleMsMax: Number(Math.max(...times).toFixed(1)),
    cycleCpuMsP50: Number(median(cpu).toFixed(1)),
    ownMsP50: Number(median(own).toFixed(1)),
    clusterMsP50: Number((median(times) - median(own)).toFixed(1)),
    perWorkloadUs: Number(((median(times) * 1000) / WORKLOADS).toFixed(1)),
    targetMs: policy === 'dqn' ? 100 : undefined,
  });
  await s.close();
}

async function surge(models: ServingModels, rounds: number): Promise<void> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = cluster(clock);
  const watch = new Stopwatch();
  const s = service(sim, clock, models, 'dqn', false, watch);
  // Warm up in a steady state first: every workload decided (and left as it is) a few times.
  for (let i = 0; i < 3; i++) {
    clock.advance(15_000);
    await s.autoscaler.runOnce();
  }
  // 100 workloads get 600 requests/s: 3 cores of demand on 2 cores of pods.
  const busy = new Trace('surge', Float64Array.from([0, 86_400]), Float64Array.from([600, 600]));
  for (let d = 0; d < SURGING; d++)
    sim.setWorkloadModel(`team-${d % NAMESPACES}`, `svc-${d}`, { trace: busy, noiseCv: 0 });
  // Let metrics-server see the surge.
  clock.advance(30_000);
  const cycles: {
    ms: number;
    own: number;
    issued: number;
    inProgress: number;
    settled: number;
  }[] = [];
  for (let i = 0; i <= rounds; i++) {
    sim.sync();
    const before = s.actuator.inFlightChanges().length;
    watch.ms = 0;
    const { ms, value } = await timed(() => s.autoscaler.runOnce());
    const after = s.actuator.inFlightChanges().length;
    const issued = value.filter((r) => r.record?.outcome === 'in_progress').length;
    cycles.push({
      ms,
      own: ms - watch.ms,
      issued,
      inProgress: value.filter((r) => r.reason === 'in_progress').length,
      settled: before + issued - after,
    });
    clock.advance(15_000);
  }
  const [first, ...rest] = cycles;
  emit({
    bench: 'loop-cycle',
    case: 'surge',
    policy: 'dqn',
    workloads: WORKLOADS,
    surging: SURGING,
    startupMs: 30_000,
    issuingCycleMs: Number(first!.ms.toFixed(1)),
    issuingOwnMs: Number(first!.own.toFixed(1)),
    issued: first!.issued,
    followingCycleMsP50: Number(median(rest.map((c) => c.ms)).toFixed(1)),
    followingOwnMsP50: Number(median(rest.map((c) => c.own)).toFixed(1)),
    followingCycleMsMax: Number(Math.max(...rest.map((c) => c.ms)).toFixed(1)),
    skippedInProgress: rest.map((c) => c.inProgress),
    settledPerCycle: rest.map((c) => c.settled),
    targetMs: 100,
  });
  await s.close();
}

export async function loopCycle(rounds = 9): Promise<void> {
  const models = await loadServingModels(BUNDLED_MODELS_DIR);
  for (const policy of ['hpa', 'dqn']) await steady(models, policy, rounds);
  await surge(models, rounds);
}
