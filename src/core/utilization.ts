/**
 * Utilisation as the HPA controller computes it (kube-controller-manager 1.35,
 * pkg/controller/podautoscaler): which pods count (groupPods), what each pod's usage is divided
 * by (calculateRequests) and the whole-percent ratio (GetResourceUtilizationRatio). One
 * definition, shared by the reading of a workload (`GET /pod`, every policy's observation)
 * and the HPA policy's replica calculator, so that qpilot's figure is the HPA's.
 */
import type { PodObservation, WorkloadObservation, WorkloadUtilization } from './workload.js';

export type UtilizationResource = 'cpu' | 'memory';

export interface HpaTiming {
  /** --horizontal-pod-autoscaler-cpu-initialization-period. */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay. */
  initialReadinessDelayMs: number;
}

export const DEFAULT_HPA_TIMING: HpaTiming = {
  cpuInitializationPeriodMs: 300_000,
  initialReadinessDelayMs: 30_000,
};

export interface PodGroups {
  readyPodCount: number;
  unready: string[];
  missing: string[];
  /** Usage of the pods that count, by pod name. */
  metrics: Map<string, number>;
  /** The request of every pod the HPA does not ignore, by pod name. */
  requests: Map<string, number>;
  /** Why a request is missing (the HPA refuses the whole workload then). */
  missingRequest?: string;
}

function usageOf(pod: PodObservation, resource: UtilizationResource): number | undefined {
  if (!pod.usage) return undefined;
  return resource === 'cpu' ? pod.usage.cpuMillicores : pod.usage.memoryBytes;
}

/** For CPU, a pod that is starting or whose sample predates its readiness does not count. */
function cpuUnready(pod: PodObservation, nowMs: number, timing: HpaTiming): boolean {
  if (pod.readyTransitionMs === undefined || pod.startTimeMs === undefined) return true;
  if (pod.startTimeMs + timing.cpuInitializationPeriodMs > nowMs)
    return !pod.ready || pod.usage!.timestampMs < pod.readyTransitionMs + pod.usage!.windowMs;
  return !pod.ready && pod.startTimeMs + timing.initialReadinessDelayMs > pod.readyTransitionMs;
}

/** groupPods, then calculateRequests (replica_calculator.go). */
export function groupPods(
  o: Pick<WorkloadObservation, 'pods' | 'timeMs'>,
  resource: UtilizationResource,
  timing: HpaTiming = DEFAULT_HPA_TIMING,
): PodGroups {
  const g: PodGroups = {
    readyPodCount: 0,
    unready: [],
    missing: [],
    metrics: new Map(),
    requests: new Map(),
  };
  for (const pod of o.pods) {
    // calculateRequests reads every pod the selector returns, ignored ones too.
    const r = pod.utilizationRequest;
    const request = resource === 'cpu' ? r.cpuMillicores : r.memoryBytes;
    if (request === undefined) {
      g.missingRequest ??= (resource === 'cpu' ? r.cpuMissing : r.memoryMissing) ?? 'no request';
      continue;
    }
    if (pod.deleting || pod.phase === 'Failed') continue;
    g.requests.set(pod.name, request);
    if (pod.phase === 'Pending') {
      g.unready.push(pod.name);
      continue;
    }
    const usage = usageOf(pod, resource);
    if (usage === undefined) {
      g.missing.push(pod.name);
      continue;
    }
    if (resource === 'cpu' && cpuUnready(pod, o.timeMs, timing)) {
      g.unready.push(pod.name);
      continue;
    }
    g.metrics.set(pod.name, usage);
    g.readyPodCount++;
  }
  return g;
}

/** GetResourceUtilizationRatio: whole percent over the pods with metrics and a request. */
export function utilizationPercent(
  metrics: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
): { percent: number; usage: number; request: number; pods: number } | undefined {
  let usage = 0;
  let request = 0;
  let pods = 0;
  for (const [name, value] of metrics) {
    const r = requests.get(name);
    if (r === undefined) continue;
    usage += value;
    request += r;
    pods++;
  }
  if (request === 0) return undefined;
  // Integer arithmetic on whole millicores (or bytes), as the controller does.
  return { percent: Math.trunc((usage * 100) / request), usage, request, pods };
}

function resourceUtilization(
  o: Pick<WorkloadObservation, 'pods' | 'timeMs'>,
  resource: UtilizationResource,
  timing: HpaTiming,
): { value?: WorkloadUtilization['cpu']; unavailable?: string } {
  const g = groupPods(o, resource, timing);
  if (o.pods.length === 0) return { unavailable: 'no pods returned by selector' };
  if (g.metrics.size === 0)
    return {
      unavailable: `did not receive ${resource} metrics for targeted pods (pods might be unready)`,
    };
  if (g.missingRequest) return { unavailable: g.missingRequest };
  const u = utilizationPercent(g.metrics, g.requests);
  if (!u) return { unavailable: 'no metrics returned matched known pods' };
  return { value: { ratio: u.usage / u.request, ...u } };
}

/** CPU and memory utilisation of a workload, or why the HPA could not compute them. */
export function hpaUtilization(
  o: Pick<WorkloadObservation, 'pods' | 'timeMs'>,
  timing: HpaTiming = DEFAULT_HPA_TIMING,
): WorkloadUtilization {
  const cpu = resourceUtilization(o, 'cpu', timing);
  const memory = resourceUtilization(o, 'memory', timing);
  return {
    ...(cpu.value ? { cpu: cpu.value } : { cpuUnavailable: cpu.unavailable }),
    ...(memory.value ? { memory: memory.value } : { memoryUnavailable: memory.unavailable }),
  };
}
