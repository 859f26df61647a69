/**
 * Builds what a policy sees of a workload from any ClusterClient: the Deployment, its pods and
 * their metrics.k8s.io usage. The same code observes the simulator, a real cluster and (later)
 * a cluster behind an agent, so a policy cannot tell them apart.
 */
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { type ClusterClient, listAll } from '../cluster/clusterClient.js';
import { podDisplayStatus } from '../cluster/podStatus.js';
import { parseCpu, parseMemory, podResourceTotals } from '../cluster/quantity.js';
import { selectorFromMatchLabels } from '../cluster/selectors.js';
import type { Clock } from '../core/clock.js';
import type { PodObservation, WorkloadObservation } from '../policies/types.js';

const toMs = (t: Date | string | undefined): number | undefined =>
  t === undefined ? undefined : new Date(t).getTime();

/** Go's duration text as metrics-server writes windows: "15s", "14.999s", "1m0s", "500ms". */
export function parseGoDurationMs(text: string | undefined): number {
  if (!text) return 0;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)/g;
  let m: RegExpExecArray | null;
  const unit: Record<string, number> = {
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
    us: 1e-3,
    µs: 1e-3,
    ns: 1e-6,
  };
  while ((m = re.exec(text))) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

export function podObservation(pod: V1Pod, metric: PodMetric | undefined): PodObservation {
  const totals = podResourceTotals(pod);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  let usage: PodObservation['usage'];
  if (metric) {
    let cpu = 0;
    let memory = 0;
    for (const c of metric.containers) {
      cpu += parseCpu(c.usage.cpu);
      memory += parseMemory(c.usage.memory);
    }
    usage = {
      cpuMillicores: cpu,
      memoryBytes: memory,
      timestampMs: toMs(metric.timestamp) ?? 0,
      windowMs: parseGoDurationMs(metric.window),
    };
  }
  return {
    name: pod.metadata?.name ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    status: podDisplayStatus(pod),
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    ready: ready?.status === 'True',
    readyTransitionMs: toMs(ready?.lastTransitionTime),
    startTimeMs: toMs(pod.status?.startTime),
    restarts: (pod.status?.containerStatuses ?? []).reduce((s, c) => s + (c.restartCount ?? 0), 0),
    lastTerminationReason: (pod.status?.containerStatuses ?? [])
      .map((c) => c.lastState?.terminated?.reason)
      .find((r) => r !== undefined),
    cpuRequestMillicores: totals.cpuRequests,
    memoryRequestBytes: totals.memoryRequests,
    cpuLimitMillicores: totals.cpuLimits,
    memoryLimitBytes: totals.memoryLimits,
    usage,
  };
}

export function workloadObservation(
  dep: V1Deployment,
  pods: V1Pod[],
  /** A list, or a map by pod name when one listing serves many workloads. */
  metrics: PodMetric[] | ReadonlyMap<string, PodMetric>,
  timeMs: number,
): WorkloadObservation {
  const byName = Array.isArray(metrics)
    ? new Map(metrics.map((m) => [m.metadata.name, m]))
    : metrics;
  const template = podResourceTotals({ spec: dep.spec?.template?.spec ?? { containers: [] } });
  return {
    namespace: dep.metadata?.namespace ?? '',
    name: dep.metadata?.name ?? '',
    timeMs,
    specReplicas: dep.spec?.replicas ?? 0,
    readyReplicas: dep.status?.readyReplicas ?? 0,
    template: {
      cpuRequestMillicores: template.cpuRequests,
      memoryRequestBytes: template.memoryRequests,
      cpuLimitMillicores: template.cpuLimits,
      memoryLimitBytes: template.memoryLimits,
    },
    pods: pods.map((p) => podObservation(p, byName.get(p.metadata?.name ?? ''))),
    annotations: { ...dep.metadata?.annotations },
  };
}

/** Observes one Deployment now. */
export async function observeWorkload(
  cluster: Pick<ClusterClient, 'getWorkload' | 'listPods' | 'podMetrics'>,
  clock: Clock,
  namespace: string,
  name: string,
): Promise<WorkloadObservation> {
  const dep = await cluster.getWorkload(namespace, name);
  const labelSelector = selectorFromMatchLabels(dep.spec?.selector?.matchLabels);
  const [pods, metrics] = await Promise.all([
    listAll((o) => cluster.listPods(o), { namespace, labelSelector, limit: 500 }),
    cluster.podMetrics({ namespace, labelSelector }),
  ]);
  return workloadObservation(dep, pods, metrics, clock.now());
}
