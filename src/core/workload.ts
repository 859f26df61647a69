/**
 * What qpilot sees of a workload (ARCHITECTURE.md: the decision's nouns live in core/). A
 * reading of the cluster (cluster/workloadReading.ts) builds it from any ClusterClient; a
 * policy sees only this — the Deployment, its pods and their usage as metrics-server reports
 * it, with its lag — never the trace or the future. Units are in the field names.
 */

/** CPU and memory of one container or pod; a field is absent when the spec does not set it. */
export interface ResourceAmounts {
  cpuMillicores?: number;
  memoryBytes?: number;
}

/** One container's requests and limits, as the API server holds them. */
export interface ContainerResources {
  name: string;
  requests: ResourceAmounts;
  limits: ResourceAmounts;
}

export interface PodUsage {
  /** Summed over the pod's containers, as metrics.k8s.io reports them. */
  cpuMillicores: number;
  memoryBytes: number;
  /** When metrics-server took the sample, and over what window. */
  timestampMs: number;
  windowMs: number;
}

/**
 * What the HPA divides a pod's usage by (replica_calculator.go, calculateRequests): the pod's
 * app containers and sidecars summed, or its pod-level request; never init containers or the
 * overhead. Absent, with `missing` saying why, when a container sets no request.
 */
export interface UtilizationRequest {
  cpuMillicores?: number;
  memoryBytes?: number;
  cpuMissing?: string;
  memoryMissing?: string;
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
  /**
   * What the pod holds on its node, as the scheduler and `kubectl describe node` count it:
   * app containers and sidecars summed, init containers as the max, the overhead, the
   * resources a resized pod actually has.
   */
  cpuRequestMillicores: number;
  memoryRequestBytes: number;
  cpuLimitMillicores: number;
  memoryLimitBytes: number;
  utilizationRequest: UtilizationRequest;
  /** Absent until metrics-server has two samples of the pod. */
  usage?: PodUsage;
}

/** One resource's utilisation as the HPA controller computes it. */
export interface ResourceUtilization {
  /** Usage over requests of the pods the HPA counts (0.5 is 50 %). */
  ratio: number;
  /** Whole percent, exactly as the HPA's status.currentMetrics reports it. */
  percent: number;
  /** The pods counted: not deleting, not failed, not pending, with metrics (and, for CPU, ready). */
  pods: number;
  /** Their usage and their requests, summed. */
  usage: number;
  request: number;
}

export interface WorkloadUtilization {
  cpu?: ResourceUtilization;
  memory?: ResourceUtilization;
  /** Why a resource's utilisation cannot be computed: no pods, no metrics, a missing request. */
  cpuUnavailable?: string;
  memoryUnavailable?: string;
}

export interface WorkloadObservation {
  namespace: string;
  name: string;
  timeMs: number;
  /** spec.replicas: what the workload is asked to run. */
  specReplicas: number;
  readyReplicas: number;
  /**
   * Per pod, what a new pod of the template gets (the API server's defaulting applied: a
   * limit without a request sets the request), counted as the scheduler counts.
   */
  template: {
    cpuRequestMillicores: number;
    memoryRequestBytes: number;
    cpuLimitMillicores: number;
    memoryLimitBytes: number;
  };
  /**
   * The app containers of a pod as it runs now: a running pod's (an in-place resize changes
   * them without touching the template), else the template's as a new pod would get them.
   * What a vertical decision changes.
   */
  containers: ContainerResources[];
  pods: PodObservation[];
  /** CPU and memory utilisation as the HPA computes them, or why they cannot be. */
  utilization: WorkloadUtilization;
  annotations: Record<string, string>;
  /**
   * What the workload's clients got over the last few seconds (p95 latency, drops), when a
   * source measures it: the simulator's own, or Prometheus. Absent otherwise.
   */
  service?: ServiceSignals;
}

/** The service level a workload owes, from its qpilot.io/slo-* annotations. */
export interface ServiceLevelObjective {
  /** The p95 latency of its requests must not exceed this ... */
  latencyP95Ms: number;
  /** ... nor may more than this fraction of them be dropped or fail. */
  maxDropRatio: number;
  /**
   * SLO breaches among the last 8 intervals that hand control from a learned policy back to
   * its baseline (an Autopilot's fallback.breachesToHandBack); 3 when absent.
   */
  breachesToHandBack?: number;
}

/** A workload's service as measured from outside its pods' CPU: what its clients see. */
export interface ServiceSignals {
  latencyP95Ms: number;
  /** Dropped or failed requests over all; absent when the source does not measure it. */
  dropRatio?: number;
  /** Over what window, ending when. */
  windowMs: number;
  timestampMs: number;
}

/** Where service signals come from; undefined for a workload it has no data for. */
export interface ServiceSignalSource {
  /** `histogram`: the workload's own request-duration histogram and label matchers, when it names one. */
  serviceSignals(
    namespace: string,
    name: string,
    histogram?: { histogram: string; selector?: string },
  ): Promise<ServiceSignals | undefined>;
}

export const workloadKey = (o: { namespace: string; name: string }): string =>
  `${o.namespace}/${o.name}`;
