/** Kubernetes objects in the shapes the seeds' APIs show them. */
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { podAccounting } from '../cluster/podResources.js';
import { isPodReady, isPodRunning, podDisplayStatus } from '../cluster/podStatus.js';
import { metricUsage, workloadObservation } from '../cluster/workloadReading.js';
import { MIB } from '../core/units.js';

export interface PodView {
  name: string;
  namespace: string;
  status: string;
  creation_timestamp: string | null;
  labels: Record<string, string>;
  node_name: string | null;
  pod_ip: string | null;
  containers: {
    name: string;
    image: string;
    resources: { requests: Record<string, string>; limits: Record<string, string> };
  }[];
  owner: { kind: string; name: string } | null;
}

function iso(value: Date | string | undefined): string | null {
  if (value === undefined) return null;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

/** One entry of seed 002's `GET /pods`. */
export function podView(pod: V1Pod): PodView {
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  return {
    name: pod.metadata?.name ?? '',
    namespace: pod.metadata?.namespace ?? '',
    status: podDisplayStatus(pod),
    creation_timestamp: iso(pod.metadata?.creationTimestamp),
    labels: { ...pod.metadata?.labels },
    node_name: pod.spec?.nodeName ?? null,
    pod_ip: pod.status?.podIP ?? null,
    containers: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? '',
      resources: { requests: { ...c.resources?.requests }, limits: { ...c.resources?.limits } },
    })),
    owner: owner ? { kind: owner.kind, name: owner.name } : null,
  };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Seed 002's `GET /pods/<namespace>/<pod_name>`: usage next to requests, in cores and MiB. */
export function podDetailView(pod: V1Pod, metric: PodMetric | undefined) {
  const { requests, limits } = podAccounting(pod);
  const usage = metric ? metricUsage(metric) : undefined;
  return {
    success: true as const,
    pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
    status: podDisplayStatus(pod),
    node_name: pod.spec?.nodeName ?? null,
    metrics: {
      cpu_usage_cores: usage ? round(usage.cpuMillicores / 1000) : null,
      memory_usage_mb: usage ? round(usage.memoryBytes / MIB, 2) : null,
      timestamp: metric?.timestamp ?? null,
      window: metric?.window ?? null,
    },
    // What the pod holds on its node, as kubectl describe node counts it.
    resources: {
      cpu_requests_cores: requests.cpuMillicores / 1000,
      memory_requests_mb: round(requests.memoryBytes / MIB, 2),
      cpu_limits_cores: limits.cpuMillicores / 1000,
      memory_limits_mb: round(limits.memoryBytes / MIB, 2),
    },
  };
}

/** Seed 004's `GET /pod`: the target Deployment's utilisation (as the HPA computes it) and pod counts. */
export function deploymentPodView(
  dep: V1Deployment,
  pods: V1Pod[],
  metrics: PodMetric[],
  timeMs: number,
) {
  const o = workloadObservation(dep, pods, metrics, timeMs);
  const statuses: Record<string, number> = {};
  for (const p of o.pods) statuses[p.status] = (statuses[p.status] ?? 0) + 1;
  const { cpu, memory } = o.utilization;
  // Usage over the pods the HPA counts, so that usage and utilisation speak of the same pods.
  const counted = cpu ?? memory;
  return {
    success: true as const,
    namespace: o.namespace,
    deployment: o.name,
    cpu_utilization_percent: cpu ? round(cpu.ratio * 100, 2) : null,
    memory_utilization_percent: memory ? round(memory.ratio * 100, 2) : null,
    cpu_utilization_unavailable: o.utilization.cpuUnavailable ?? null,
    cpu_usage_cores: cpu ? round(cpu.usage / 1000) : null,
    memory_usage_mb: memory ? round(memory.usage / MIB, 2) : null,
    running_pods: pods.filter(isPodRunning).length,
    ready_pods: pods.filter(isPodReady).length,
    total_pods: pods.length,
    desired_pods: dep.spec?.replicas ?? 0,
    pods_with_metrics: counted?.pods ?? 0,
    pod_statuses: statuses,
    timestamp: new Date(timeMs).toISOString(),
  };
}
