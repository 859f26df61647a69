/**
 * Simulator speed: simulated seconds per CPU second over one day of the WorldCup98 trace,
 * for one Deployment (target: at least 100,000) and for 10 Deployments with 500 pods.
 */
import { SimCluster } from '../src/cluster/sim/simCluster.js';
import { ManualClock } from '../src/core/clock.js';
import { loadBundledTrace } from '../src/traces/files.js';
import { cpuSeconds, emit, median } from './lib.js';

const DAY_SEC = 86_400;

async function oneRun(deployments: number, podsEach: number, nodes: number): Promise<number> {
  const trace = (await loadBundledTrace('worldcup98')).scaledToPeak(80 * podsEach);
  const clock = new ManualClock(0);
  const sim = new SimCluster(clock, { seed: 1 });
  for (let i = 0; i < nodes; i++) sim.addNode({ name: `node-${i}`, cpu: '64', memory: '256Gi' });
  for (let d = 0; d < deployments; d++) {
    sim.createDeployment({
      name: `app-${d}`,
      replicas: podsEach,
      containers: [
        {
          name: 'app',
          requests: { cpu: '250m', memory: '128Mi' },
          limits: { cpu: '500m', memory: '256Mi' },
        },
      ],
      // A match day of the World Cup, different hours for each Deployment.
      model: { trace, traceOffsetSec: 4_502_400 + d * 3600 },
    });
  }
  // The controller's 15 s cadence: the simulator is driven the way evaluation drives it.
  return cpuSeconds(() => {
    for (let t = 0; t < DAY_SEC; t += 15) {
      clock.advance(15_000);
      sim.sync();
    }
  });
}

export async function simSpeed(repeats = 3): Promise<void> {
  for (const [name, deployments, podsEach, nodes] of [
    ['one-deployment', 1, 10, 3],
    ['ten-deployments-500-pods', 10, 50, 10],
  ] as const) {
    const runs: number[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await oneRun(deployments, podsEach, nodes));
    const cpu = median(runs);
    emit({
      bench: 'sim-speed',
      case: name,
      deployments,
      pods: deployments * podsEach,
      simulatedSeconds: DAY_SEC,
      cpuSecondsMedian: Number(cpu.toFixed(4)),
      simulatedSecondsPerCpuSecond: Math.round(DAY_SEC / cpu),
      target: name === 'one-deployment' ? 100_000 : null,
      repeats,
    });
  }
}
