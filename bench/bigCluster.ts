/** The cluster of the GET /nodes benchmark: 100 nodes, 5,000 running pods in 5 namespaces. */
import { SimCluster } from '../src/cluster/sim/simCluster.js';
import { type Clock, RealClock } from '../src/core/clock.js';

/** Runs on the real clock by default, as `qpilot serve` does, so caches expire as they would. */
export function bigCluster(clock: Clock = new RealClock()): SimCluster {
  const sim = new SimCluster(clock, { seed: 'bench', startMs: clock.now() - 60_000 });
  for (let i = 0; i < 100; i++)
    sim.addNode({ name: `node-${String(i).padStart(3, '0')}`, cpu: '16', memory: '64Gi' });
  for (let d = 0; d < 50; d++) {
    sim.createDeployment({
      namespace: `team-${d % 5}`,
      name: `svc-${d}`,
      replicas: 100,
      containers: [
        {
          name: 'app',
          requests: { cpu: '100m', memory: '128Mi' },
          limits: { cpu: '200m', memory: '256Mi' },
        },
      ],
    });
  }
  sim.sync();
  return sim;
}
