/**
 * What a scaling policy sees and what it says. A policy sees only what a real controller sees
 * — the Deployment, its pods and their usage as metrics-server reports it (with its lag) —
 * never the trace or the future. Units carry their names.
 */

export interface PodUsage {
  cpuMillicores: number;
  memoryBytes: number;
  /** When metrics-server took the sample, and over what window. */
  timestampMs: number;
  windowMs: number;
}

export interface PodObservation {
  name: string;
  phase: string;
  /** kubectl's STATUS: Running, Pending, CrashLoopBackOff, Terminating, … */
  status: string;
  deleting: boolean;
  ready: boolean;
  /** When the Ready condition last changed. */
  readyTransitionMs?: number;
  startTimeMs?: number;
  restarts: number;
  /** Why a container last stopped (`OOMKilled`, `Error`), when one has restarted. */
  lastTerminationReason?: string;
  cpuRequestMillicores: number;
  memoryRequestBytes: number;
  cpuLimitMillicores: number;
  memoryLimitBytes: number;
  /** Absent until metrics-server has two samples of the pod. */
  usage?: PodUsage;
}

export interface WorkloadObservation {
  namespace: string;
  name: string;
  timeMs: number;
  /** spec.replicas: what the workload is asked to run. */
  specReplicas: number;
  readyReplicas: number;
  /** Per pod, from the template (all containers summed). */
  template: {
    cpuRequestMillicores: number;
    memoryRequestBytes: number;
    cpuLimitMillicores: number;
    memoryLimitBytes: number;
  };
  pods: PodObservation[];
  annotations: Record<string, string>;
  /** Request latency p95 from Prometheus, when one is configured. */
  latencyP95Ms?: number;
}

export interface ScalingBounds {
  minReplicas: number;
  maxReplicas: number;
  /** Per pod. */
  minCpuMillicores: number;
  maxCpuMillicores: number;
  minMemoryBytes: number;
  maxMemoryBytes: number;
}

export interface PolicyInput {
  observation: WorkloadObservation;
  bounds: ScalingBounds;
  /** Seed 002's scale_factor: the relative step of a vertical INCREASE or DECREASE. */
  scaleFactor: number;
}

export type HeadAction = 'DECREASE' | 'MAINTAIN' | 'INCREASE';
export const HEAD_ACTIONS: readonly HeadAction[] = ['DECREASE', 'MAINTAIN', 'INCREASE'];

/** Seed 002's resource change: CPU in cores, memory in MB (MiB), per pod. */
export interface ResourceChange {
  current: number;
  new: number;
  change_percent: number;
  action: HeadAction;
}

export interface Decision {
  policy: string;
  kind: 'horizontal' | 'vertical';
  namespace: string;
  name: string;
  timeMs: number;
  /** Horizontal decisions: the replica count now and the one wanted. */
  replicas?: { current: number; desired: number };
  /** Vertical decisions: requests (and limits, scaled alike) per pod. */
  resources?: { cpu: ResourceChange; memory: ResourceChange };
  /** Q-values per head ('replicas', 'cpu', 'memory'), for learned policies. */
  qValues?: Record<string, number[]>;
  /** The action each head chose, by label. */
  actions?: Record<string, string>;
  /** Softmax probability of the chosen action, per head. */
  confidence?: Record<string, number>;
  /** Usage expected at the next step (seed 002's future_predictions). */
  predictions?: { nextStepCpuCores: number; nextStepMemoryMb: number };
  /** Whether the decision changes anything that may be changed now. */
  canScale: boolean;
  explanation: { reasoning: string; factors: string[] };
  /** Set when a fallback policy decided instead. */
  fallback?: { from: string; reason: string };
  /** What the guardrails changed. */
  guardrails?: string[];
}

export interface ScalingPolicy {
  readonly name: string;
  readonly kind: 'horizontal' | 'vertical';
  /** Decides for one workload; policies keep their own per-workload history. */
  decide(input: PolicyInput): Decision;
  /** Decides for many workloads at once; learned policies batch their inference. */
  decideBatch?(inputs: readonly PolicyInput[]): Decision[];
  /** Forgets a workload's history (it was deleted or excluded). */
  forget?(namespace: string, name: string): void;
  close?(): void;
}

/** What every decision about `o` starts with: who decided, what kind, for which workload, when. */
export function decisionHeader(
  policy: string,
  kind: Decision['kind'],
  o: WorkloadObservation,
): Pick<Decision, 'policy' | 'kind' | 'namespace' | 'name' | 'timeMs'> {
  return { policy, kind, namespace: o.namespace, name: o.name, timeMs: o.timeMs };
}

export const workloadKey = (o: { namespace: string; name: string }): string =>
  `${o.namespace}/${o.name}`;

/** Seed 002's defaults: 0.1–8 cores, 20–16384 MB, scale factor 0.2; replicas 1–100. */
export const DEFAULT_BOUNDS: ScalingBounds = {
  minReplicas: 1,
  maxReplicas: 100,
  minCpuMillicores: 100,
  maxCpuMillicores: 8000,
  minMemoryBytes: 20 * 2 ** 20,
  maxMemoryBytes: 16384 * 2 ** 20,
};
