/** Kubernetes objects in the shapes the seeds' APIs show them. */
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { isPodReady, podDisplayStatus } from '../cluster/podStatus.js';
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

interface Tally {
  usedCpu: number;
  usedMemory: number;
  requestedCpu: number;
  requestedMemory: number;
  measured: number;
  running: number;
  ready: number;
  statuses: Record<string, number>;
}

function tally(pods: V1Pod[], metrics: PodMetric[]): Tally {
  const byName = new Map(metrics.map((m) => [m.metadata.name, m]));
  const t: Tally = {
    usedCpu: 0,
    usedMemory: 0,
    requestedCpu: 0,
    requestedMemory: 0,
    measured: 0,
    running: 0,
    ready: 0,
    statuses: {},
  };
  for (const pod of pods) {
    const status = podDisplayStatus(pod);
    t.statuses[status] = (t.statuses[status] ?? 0) + 1;
    if (pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp) t.running++;
    if (isPodReady(pod)) t.ready++;
    const metric = byName.get(pod.metadata?.name ?? '');
    if (!metric) continue;
    // Utilisation as the HPA computes it: usage over requests, over the pods that have metrics.
    const usage = podUsage(metric);
    const totals = podResourceTotals(pod);
    t.usedCpu += usage.cpuCores;
    t.usedMemory += usage.memoryBytes;
    t.requestedCpu += totals.cpuRequests / 1000;
    t.requestedMemory += totals.memoryRequests;
    t.measured++;
  }
  return t;
}

const percentOrNull = (used: number, requested: number, measured: number) =>
  measured > 0 && requested > 0 ? round((used / requested) * 100, 2) : null;

/** Seed 004's `GET /pod`: the target Deployment's utilisation and pod counts. */
export function deploymentPodView(
  dep: V1Deployment,
  pods: V1Pod[],
  metrics: PodMetric[],
  timestamp: string,
) {
  const t = tally(pods, metrics);
  return {
    success: true as const,
    namespace: dep.metadata?.namespace ?? '',
    deployment: dep.metadata?.name ?? '',
    cpu_utilization_percent: percentOrNull(t.usedCpu, t.requestedCpu, t.measured),
    memory_utilization_percent: percentOrNull(t.usedMemory, t.requestedMemory, t.measured),
    cpu_usage_cores: t.measured > 0 ? round(t.usedCpu) : null,
    memory_usage_mb: t.measured > 0 ? round(t.usedMemory / MIB, 2) : null,
    running_pods: t.running,
    ready_pods: t.ready,
    total_pods: pods.length,
    desired_pods: dep.spec?.replicas ?? 0,
    pods_with_metrics: t.measured,
    pod_statuses: t.statuses,
    timestamp,
  };
}
