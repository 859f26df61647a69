import { ManualClock } from '../../core/clock.js';
import { runClusterClientContract } from '../testing/contract.js';
import { SimCluster } from './simCluster.js';

runClusterClientContract('SimCluster', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'contract' });
  const nodes = ['node-a', 'node-b', 'node-c'];
  for (const name of nodes) sim.addNode({ name, cpu: '4', memory: '16Gi' });
  const namespace = 'contract';
  sim.createNamespace(namespace);
  return Promise.resolve({
    client: sim,
    namespace,
    nodes,
    createDeployment: (spec) => {
      sim.createDeployment({
        namespace,
        name: spec.name,
        replicas: spec.replicas,
        labels: spec.labels,
        annotations: spec.annotations,
        containers: [
          {
            name: 'app',
            requests: { cpu: spec.cpuRequest, memory: spec.memoryRequest },
            limits: { cpu: spec.cpuLimit, memory: spec.memoryLimit },
          },
        ],
      });
      return Promise.resolve();
    },
    createPdb: (spec) => {
      sim.createPdb({ namespace, ...spec });
      return Promise.resolve();
    },
    settle: (p) => clock.settle(p),
    elapse: (ms) => {
      clock.advance(ms);
      sim.sync();
      return Promise.resolve();
    },
    metricsDelayMs: 60_000,
    readyTimeoutMs: 120_000,
    dispose: () => Promise.resolve(),
  });
});
