/**
 * One control-loop cycle over 1,000 workloads and 10,000 pods on the simulator: observe each
 * Deployment, decide, apply the guardrails and record (dry run, so that nothing waits on a
 * rollout), with the HPA and with the served DQN. Target: under 250 ms per cycle.
 */
import { SimCluster } from '../src/cluster/sim/simCluster.js';
import { ScalingService } from '../src/controller/scalingService.js';
import { DEFAULT_SETTINGS } from '../src/controller/settings.js';
import { ManualClock } from '../src/core/clock.js';
import { BUNDLED_MODELS_DIR } from '../src/policies/models.js';
import { loadServingModels } from '../src/policies/servingModels.js';
import { servingPolicies } from '../src/policies/servingPolicies.js';
import { MemoryDecisionLog } from '../src/store/decisionLog.js';
import { emit, median } from './lib.js';

const WORKLOADS = 1000;
const PODS_PER_WORKLOAD = 10;
const NAMESPACES = 10;

function cluster(clock: ManualClock): SimCluster {
  const sim = new SimCluster(clock, { seed: 'loop', startMs: clock.now() });
  for (let i = 0; i < 120; i++)
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
    });
  // Two metrics-server windows, so that every pod has usage.
  clock.advance(120_000);
  sim.sync();
  return sim;
}

export async function loopCycle(rounds = 5): Promise<void> {
  const models = await loadServingModels(BUNDLED_MODELS_DIR);
  for (const policy of ['hpa', 'dqn']) {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const sim = cluster(clock);
    const pods = (await sim.listPods()).items.length;
    const service = new ScalingService({
      cluster: sim,
      clock,
      settings: {
        ...DEFAULT_SETTINGS,
        policy,
        autoScaleEnabled: false,
        namespaces: Array.from({ length: NAMESPACES }, (_, n) => `team-${n}`),
        excludedDeployments: [],
      },
      policy: servingPolicies(models),
      log: new MemoryDecisionLog(100_000),
    });
    const times: number[] = [];
    let decided = 0;
    // The first cycle warms the JIT and builds the policy; it is not counted.
    for (let i = 0; i <= rounds; i++) {
      clock.advance(15_000);
      const t0 = performance.now();
      const results = await service.autoscaler.runOnce();
      const ms = performance.now() - t0;
      decided = results.filter((r) => r.status === 'success').length;
      if (i > 0) times.push(ms);
    }
    const p50 = median(times);
    emit({
      bench: 'loop-cycle',
      policy,
      workloads: WORKLOADS,
      pods,
      decided,
      rounds,
      cycleMsP50: Number(p50.toFixed(1)),
      cycleMsMax: Number(Math.max(...times).toFixed(1)),
      perWorkloadUs: Number(((p50 * 1000) / WORKLOADS).toFixed(1)),
      targetMs: 250,
    });
    await service.close();
  }
}
