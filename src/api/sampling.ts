/** Seed 004's sampler, probing the target Deployment the way `GET /pod` reads it. */
import type { ClusterClient } from '../cluster/clusterClient.js';
import type { Clock } from '../core/clock.js';
import { MetricsSampler } from '../controller/sampler.js';
import type { SampleStore } from '../store/sampleStore.js';
import { targetSnapshot } from './routes/pod.js';

export function createSampler(
  cluster: ClusterClient,
  clock: Clock,
  store: SampleStore,
): MetricsSampler {
  return new MetricsSampler({
    clock,
    store,
    probe: async ({ namespace, deployment }) => {
      const { view } = await targetSnapshot({ cluster, clock }, namespace, deployment, false);
      return {
        namespace,
        workload: deployment,
        cpuPercent: view.cpu_utilization_percent,
        memoryMb: view.memory_usage_mb,
        onlinePods: view.ready_pods,
        totalPods: view.total_pods,
      };
    },
  });
}
