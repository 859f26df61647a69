/**
 * The one reading of a workload, beside ClusterClient: a Deployment, its pods and their
 * metrics.k8s.io usage become a WorkloadObservation, with each pod's resources counted as
 * Kubernetes counts them (podResources.ts) and utilisation as the HPA computes it
 * (core/utilization.ts). The same code reads the simulator, a real cluster and (later) a
 * cluster behind an agent, so a policy cannot tell them apart.
 */
import type { WorkloadCache } from './workloadCache.js';
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import type { DecisionMetrics } from '../core/decision.js';
import { LazyUtilization } from '../core/utilization.js';
import type { PodObservation, WorkloadObservation } from '../core/workload.js';
import { type ClusterClient, listAll } from './clusterClient.js';
import { deploymentNameOfPod } from './owner.js';
import { podAccounting, templateAccounting } from './podResources.js';
import { isPodRunning, podDisplayStatus } from './podStatus.js';
import { parseCpu, parseMemory } from './quantity.js';
import { selectorFromMatchLabels } from './selectors.js';

const stamps = new Map<string, number>();

/**
 * A time as milliseconds. Pods scraped together share their timestamp text, so the parse of
 * a string is remembered (a few hundred at most): ten thousand metrics a cycle would
 * otherwise each parse one.
 */
function toMs(t: Date | string | undefined): number | undefined {
  if (t === undefined) return undefined;
  if (typeof t !== 'string') return new Date(t).getTime();
  let ms = stamps.get(t);
  if (ms === undefined) {
    ms = new Date(t).getTime();
    if (stamps.size >= 512) stamps.clear();
    stamps.set(t, ms);
  }
  return ms;
}

const durations = new Map<string, number>();

/** Go's duration text as metrics-server writes windows: "15s", "14.999s", "1m0s", "500ms". */
export function parseGoDurationMs(text: string | undefined): number {
  if (!text) return 0;
  // A handful of distinct windows, ten thousand times a cycle.
  const known = durations.get(text);
  if (known !== undefined) return known;
  const ms = parseDuration(text);
  if (durations.size < 256) durations.set(text, ms);
  return ms;
}

function parseDuration(text: string): number {
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

/**
 * Per metric object: thousands of pods are read every cycle, and an object that did not
 * change (the same scrape) is not parsed again.
 */
const usages = new WeakMap<PodMetric, NonNullable<PodObservation['usage']>>();

/** A pod's usage, summed over the containers metrics.k8s.io reports (as the HPA sums them). */
export function metricUsage(metric: PodMetric): NonNullable<PodObservation['usage']> {
  let u = usages.get(metric);
  if (!u) {
    u = {
      cpuMillicores: 0,
      memoryBytes: 0,
      timestampMs: toMs(metric.timestamp) ?? 0,
      windowMs: parseGoDurationMs(metric.window),
    };
    for (const c of metric.containers) {
      u.cpuMillicores += parseCpu(c.usage.cpu);
      u.memoryBytes += parseMemory(c.usage.memory);
    }
    usages.set(metric, u);
  }
  return u;
}

/** What a pod object says of itself, without its usage; the same object until the pod changes. */
const podParts = new WeakMap<V1Pod, Omit<PodObservation, 'usage'>>();

export function podObservation(pod: V1Pod, metric: PodMetric | undefined): PodObservation {
  let b = podParts.get(pod);
  if (!b) {
    b = podPart(pod);
    podParts.set(pod, b);
  }
  if (!metric) return b;
  // One literal of a fixed shape: ten thousand of these a cycle, and a spread costs more.
  return {
    name: b.name,
    phase: b.phase,
    status: b.status,
    deleting: b.deleting,
    ready: b.ready,
    readyTransitionMs: b.readyTransitionMs,
    startTimeMs: b.startTimeMs,
    restarts: b.restarts,
    lastTerminationReason: b.lastTerminationReason,
    cpuRequestMillicores: b.cpuRequestMillicores,
    memoryRequestBytes: b.memoryRequestBytes,
    cpuLimitMillicores: b.cpuLimitMillicores,
    memoryLimitBytes: b.memoryLimitBytes,
    utilizationRequest: b.utilizationRequest,
    usage: metricUsage(metric),
  };
}

function podPart(pod: V1Pod): Omit<PodObservation, 'usage'> {
  const { requests, limits, utilizationRequest } = podAccounting(pod);
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
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
    cpuRequestMillicores: requests.cpuMillicores,
    memoryRequestBytes: requests.memoryBytes,
    cpuLimitMillicores: limits.cpuMillicores,
    memoryLimitBytes: limits.memoryBytes,
    utilizationRequest,
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
  // What a new pod of the template gets: the API server defaults requests from limits on pods.
  const template = templateAccounting(dep.spec?.template?.spec, dep.metadata);
  const running = pods.find(isPodRunning);
  const observed = pods.map((p) => podObservation(p, byName.get(p.metadata?.name ?? '')));
  return {
    namespace: dep.metadata?.namespace ?? '',
    name: dep.metadata?.name ?? '',
    timeMs,
    specReplicas: dep.spec?.replicas ?? 0,
    readyReplicas: dep.status?.readyReplicas ?? 0,
    template: {
      cpuRequestMillicores: template.requests.cpuMillicores,
      memoryRequestBytes: template.requests.memoryBytes,
      cpuLimitMillicores: template.limits.cpuMillicores,
      memoryLimitBytes: template.limits.memoryBytes,
    },
    containers: (running ? podAccounting(running) : template).containers,
    pods: observed,
    utilization: new LazyUtilization({ pods: observed, timeMs }),
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

/** A namespace read in three listings: its Deployments, its pods by owner, its pod metrics. */
export interface NamespaceSnapshot {
  namespace: string;
  deployments: V1Deployment[];
  podsByDeployment: Map<string, V1Pod[]>;
  metrics: ReadonlyMap<string, PodMetric>;
  timeMs: number;
}

/**
 * Three listings per namespace instead of three requests per workload (ADR 11): a cycle over
 * 1,000 workloads costs the API server a handful of calls.
 */
export async function snapshotNamespace(
  cluster: Pick<ClusterClient, 'listWorkloads' | 'listPods' | 'podMetrics'>,
  clock: Clock,
  namespace: string,
  /** Deployments and pods as a watch sees them; listed when absent or out of sync. */
  cache?: WorkloadCache,
): Promise<NamespaceSnapshot> {
  const cached = cache?.namespace(namespace);
  // Usage cannot be watched (metrics.k8s.io serves no watch): one listing per namespace.
  const [deployments, pods, metrics] = cached
    ? [cached.deployments, cached.pods, await cluster.podMetrics({ namespace })]
    : await Promise.all([
        listAll((o) => cluster.listWorkloads(o), { namespace, limit: 500 }),
        listAll((o) => cluster.listPods(o), { namespace, limit: 500 }),
        cluster.podMetrics({ namespace }),
      ]);
  const podsByDeployment = new Map<string, V1Pod[]>();
  for (const pod of pods) {
    const owner = deploymentNameOfPod(pod);
    if (owner === undefined) continue;
    const list = podsByDeployment.get(owner);
    if (list) list.push(pod);
    else podsByDeployment.set(owner, [pod]);
  }
  const byPod = new Map<string, PodMetric>();
  for (const m of metrics) byPod.set(m.metadata.name, m);
  return { namespace, deployments, podsByDeployment, metrics: byPod, timeMs: clock.now() };
}

/** One Deployment of a snapshot as an observation. */
export function observationFrom(
  snapshot: NamespaceSnapshot,
  dep: V1Deployment,
): WorkloadObservation {
  const match = Object.entries(dep.spec?.selector?.matchLabels ?? {});
  const pods = (snapshot.podsByDeployment.get(dep.metadata?.name ?? '') ?? []).filter((p) => {
    const labels = p.metadata?.labels;
    for (const [k, v] of match) if (labels?.[k] !== v) return false;
    return true;
  });
  return workloadObservation(dep, pods, snapshot.metrics, snapshot.timeMs);
}

/** Usage per measured pod, and a pod's limits (its requests where it sets none): a record's metrics. */
export function decisionMetrics(o: WorkloadObservation): DecisionMetrics {
  let cpu = 0;
  let memory = 0;
  let measured = 0;
  for (const p of o.pods) {
    if (p.deleting || !p.ready || !p.usage) continue;
    cpu += p.usage.cpuMillicores;
    memory += p.usage.memoryBytes;
    measured++;
  }
  const n = Math.max(1, measured);
  const t = o.template;
  return {
    cpuUsageMillicores: cpu / n,
    memoryUsageBytes: memory / n,
    cpuLimitMillicores: t.cpuLimitMillicores || t.cpuRequestMillicores,
    memoryLimitBytes: t.memoryLimitBytes || t.memoryRequestBytes,
  };
}
