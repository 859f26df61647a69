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

/** groupPods and calculateRequests, summed: what the replica calculator works from. */
export interface PodGroups {
  /** Pods with metrics that count (for CPU: ready and past their initialisation). */
  readyPodCount: number;
  /** Their usage and their requests, summed. */
  used: number;
  requested: number;
  /** Pending or (for CPU) not yet ready pods, and their requests. */
  unreadyCount: number;
  unreadyRequested: number;
  /** Pods without metrics, and their requests. */
  missingCount: number;
  missingRequested: number;
  /** Why a request is missing (the HPA refuses the whole workload then). */
  missingRequest?: string;
}

/** For CPU, a pod that is starting or whose sample predates its readiness does not count. */
function cpuUnready(pod: PodObservation, nowMs: number, timing: HpaTiming): boolean {
  if (pod.readyTransitionMs === undefined || pod.startTimeMs === undefined) return true;
  if (pod.startTimeMs + timing.cpuInitializationPeriodMs > nowMs)
    return !pod.ready || pod.usage!.timestampMs < pod.readyTransitionMs + pod.usage!.windowMs;
  return !pod.ready && pod.startTimeMs + timing.initialReadinessDelayMs > pod.readyTransitionMs;
}

/** groupPods, then calculateRequests (replica_calculator.go), in one pass without maps. */
export function groupPods(
  o: Pick<WorkloadObservation, 'pods' | 'timeMs'>,
  resource: UtilizationResource,
  timing: HpaTiming = DEFAULT_HPA_TIMING,
): PodGroups {
  const g: PodGroups = {
    readyPodCount: 0,
    used: 0,
    requested: 0,
    unreadyCount: 0,
    unreadyRequested: 0,
    missingCount: 0,
    missingRequested: 0,
  };
  const cpu = resource === 'cpu';
  for (const pod of o.pods) {
    // calculateRequests reads every pod the selector returns, ignored ones too.
    const r = pod.utilizationRequest;
    const request = cpu ? r.cpuMillicores : r.memoryBytes;
    if (request === undefined) {
      g.missingRequest ??= (cpu ? r.cpuMissing : r.memoryMissing) ?? 'no request';
      continue;
    }
    if (pod.deleting || pod.phase === 'Failed') continue;
    if (pod.phase === 'Pending') {
      g.unreadyCount++;
      g.unreadyRequested += request;
      continue;
    }
    if (!pod.usage) {
      g.missingCount++;
      g.missingRequested += request;
      continue;
    }
    if (cpu && cpuUnready(pod, o.timeMs, timing)) {
      g.unreadyCount++;
      g.unreadyRequested += request;
      continue;
    }
    g.used += cpu ? pod.usage.cpuMillicores : pod.usage.memoryBytes;
    g.requested += request;
    g.readyPodCount++;
  }
  return g;
}

/** GetResourceUtilizationRatio: whole percent, in integer arithmetic as the controller does. */
export function utilizationPercent(used: number, requested: number): number | undefined {
  return requested > 0 ? Math.trunc((used * 100) / requested) : undefined;
}

function resourceUtilization(
  o: Pick<WorkloadObservation, 'pods' | 'timeMs'>,
  resource: UtilizationResource,
  timing: HpaTiming,
): { value?: WorkloadUtilization['cpu']; unavailable?: string } {
  const g = groupPods(o, resource, timing);
  if (o.pods.length === 0) return { unavailable: 'no pods returned by selector' };
  if (g.readyPodCount === 0)
    return {
      unavailable: `did not receive ${resource} metrics for targeted pods (pods might be unready)`,
    };
  if (g.missingRequest) return { unavailable: g.missingRequest };
  const percent = utilizationPercent(g.used, g.requested);
  if (percent === undefined) return { unavailable: 'no metrics returned matched known pods' };
  return {
    value: {
      ratio: g.used / g.requested,
      percent,
      pods: g.readyPodCount,
      usage: g.used,
      request: g.requested,
    },
  };
}

/**
 * The same, computed when first read: most policies never ask, and a cycle over a thousand
 * workloads would otherwise pay for it a thousand times.
 */
export class LazyUtilization implements WorkloadUtilization {
  readonly #o: Pick<WorkloadObservation, 'pods' | 'timeMs'>;
  readonly #timing: HpaTiming;
  #value?: WorkloadUtilization;

  constructor(o: Pick<WorkloadObservation, 'pods' | 'timeMs'>, timing = DEFAULT_HPA_TIMING) {
    this.#o = o;
    this.#timing = timing;
  }

  private get value(): WorkloadUtilization {
    return (this.#value ??= hpaUtilization(this.#o, this.#timing));
  }

  get cpu() {
    return this.value.cpu;
  }

  get memory() {
    return this.value.memory;
  }

  get cpuUnavailable() {
    return this.value.cpuUnavailable;
  }

  get memoryUnavailable() {
    return this.value.memoryUnavailable;
  }

  toJSON(): WorkloadUtilization {
    return this.value;
  }
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
