/** Kubernetes objects in the shapes the seeds' APIs show them. */
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { podDisplayStatus } from '../cluster/podStatus.js';
import { parseCpu, parseMemory, podResourceTotals } from '../cluster/quantity.js';
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

export interface PodUsage {
  cpuCores: number;
  memoryBytes: number;
}

/** A pod's usage summed over its containers, from a metrics.k8s.io entry. */
export function podUsage(metric: PodMetric): PodUsage {
  let cpuCores = 0;
  let memoryBytes = 0;
  for (const c of metric.containers) {
    cpuCores += parseCpu(c.usage.cpu) / 1000;
    memoryBytes += parseMemory(c.usage.memory);
  }
  return { cpuCores, memoryBytes };
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Seed 002's `GET /pods/<namespace>/<pod_name>`: usage next to requests, in cores and MiB. */
export function podDetailView(pod: V1Pod, metric: PodMetric | undefined) {
  const totals = podResourceTotals(pod);
  const usage = metric ? podUsage(metric) : undefined;
  return {
    success: true as const,
    pod: `${pod.metadata?.namespace}/${pod.metadata?.name}`,
    status: podDisplayStatus(pod),
    node_name: pod.spec?.nodeName ?? null,
    metrics: {
      cpu_usage_cores: usage ? round(usage.cpuCores) : null,
      memory_usage_mb: usage ? round(usage.memoryBytes / MIB, 2) : null,
      timestamp: metric?.timestamp ?? null,
      window: metric?.window ?? null,
    },
    resources: {
      cpu_requests_cores: totals.cpuRequests / 1000,
      memory_requests_mb: round(totals.memoryRequests / MIB, 2),
      cpu_limits_cores: totals.cpuLimits / 1000,
      memory_limits_mb: round(totals.memoryLimits / MIB, 2),
    },
  };
}

/** Seed 004's `GET /pod`: the target Deployment's utilisation and pod counts. */
export function deploymentPodView(
  dep: V1Deployment,
  pods: V1Pod[],
  metrics: PodMetric[],
  timestamp: string,
) {
  const byName = new Map(metrics.map((m) => [m.metadata.name, m]));
  let usedCpu = 0;
  let usedMemory = 0;
  let requestedCpu = 0;
  let requestedMemory = 0;
  let measured = 0;
  let running = 0;
  let ready = 0;
  const statuses: Record<string, number> = {};
  for (const pod of pods) {
    const status = podDisplayStatus(pod);
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp) running++;
    if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ready++;
    const metric = byName.get(pod.metadata?.name ?? '');
    if (!metric) continue;
    // Utilisation as the HPA computes it: usage over requests, over the pods that have metrics.
    const usage = podUsage(metric);
    const totals = podResourceTotals(pod);
    usedCpu += usage.cpuCores;
    usedMemory += usage.memoryBytes;
    requestedCpu += totals.cpuRequests / 1000;
    requestedMemory += totals.memoryRequests;
    measured++;
  }
  return {
    success: true as const,
    namespace: dep.metadata?.namespace ?? '',
    deployment: dep.metadata?.name ?? '',
    cpu_utilization_percent:
      measured > 0 && requestedCpu > 0 ? round((usedCpu / requestedCpu) * 100, 2) : null,
    memory_utilization_percent:
      measured > 0 && requestedMemory > 0 ? round((usedMemory / requestedMemory) * 100, 2) : null,
    cpu_usage_cores: measured > 0 ? round(usedCpu) : null,
    memory_usage_mb: measured > 0 ? round(usedMemory / MIB, 2) : null,
    running_pods: running,
    ready_pods: ready,
    total_pods: pods.length,
    desired_pods: dep.spec?.replicas ?? 0,
    pods_with_metrics: measured,
    pod_statuses: statuses,
    timestamp,
  };
}
