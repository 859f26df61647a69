/**
 * What the simulated cluster is made of, as its users describe it. The workload model is
 * documented in docs/simulator.md; every default below is named there.
 */
import type { Trace } from '../../traces/trace.js';
import type { ResourceQuantities } from '../clusterClient.js';

export interface WorkloadModel {
  /** The load; no trace means no traffic. */
  trace?: Trace;
  /** Where in the trace the simulation's start falls, in seconds. */
  traceOffsetSec: number;
  /** Multiplies the trace's rate (load scaling for training and what-if runs). */
  loadScale: number;
  /** Replay from the start when the trace ends; otherwise hold its last rate. */
  loop: boolean;
  /** Coefficient of variation of the per-tick multiplicative noise on the load (0 = none). */
  noiseCv: number;
  /** CPU time one request costs; a pod serves at most cpuLimit / this many requests per second. */
  cpuSecondsPerRequest: number;
  /** CPU a pod burns with no traffic. */
  idleCpuMillicores: number;
  /** Latency of a request that never waits in a queue. */
  baseLatencyMs: number;
  /** Working set of an idle pod. */
  memoryBaseBytes: number;
  /** Extra working set per request in flight. */
  memoryPerInflightBytes: number;
  /** From the container starting until the pod is Ready. */
  startupDelayMs: number;
  /** How long a deleted pod takes to shut down (never longer than its grace period). */
  shutdownDelayMs: number;
  /** A tick counts as violating the SLO when p95 latency exceeds this ... */
  sloLatencyMs: number;
  /** ... or when more than this fraction of requests is dropped. */
  sloMaxDropRatio: number;
}

export const DEFAULT_WORKLOAD_MODEL: WorkloadModel = {
  traceOffsetSec: 0,
  loadScale: 1,
  loop: true,
  noiseCv: 0.05,
  cpuSecondsPerRequest: 0.005,
  idleCpuMillicores: 5,
  baseLatencyMs: 20,
  memoryBaseBytes: 64 * 2 ** 20,
  memoryPerInflightBytes: 2 ** 20,
  startupDelayMs: 30_000,
  shutdownDelayMs: 2_000,
  sloLatencyMs: 200,
  sloMaxDropRatio: 0.001,
};

export interface SimContainerSpec {
  name: string;
  image?: string;
  requests?: ResourceQuantities;
  limits?: ResourceQuantities;
}

/** States a pod can be forced into, the failure states of seed 004 plus the end phases. */
export type InjectedPodState =
  'Pending' | 'CrashLoopBackOff' | 'ImagePullBackOff' | 'Terminating' | 'Failed' | 'Succeeded';
export const INJECTABLE_POD_STATES: readonly InjectedPodState[] = [
  'Pending',
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'Terminating',
  'Failed',
  'Succeeded',
];

export interface SimDeploymentSpec {
  namespace?: string;
  name: string;
  replicas: number;
  /** Pod labels, also the selector; `{app: name}` when absent. */
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  containers: SimContainerSpec[];
  model?: Partial<WorkloadModel>;
  /** Every pod created from now on gets stuck in this state (a bad image, a crashing build). */
  failNewPodsWith?: 'Pending' | 'CrashLoopBackOff' | 'ImagePullBackOff';
}

export interface SimNodeSpec {
  name: string;
  cpu: string;
  memory: string;
  /** Allocatable when less than capacity (system reservations). */
  allocatableCpu?: string;
  allocatableMemory?: string;
  maxPods?: number;
  labels?: Record<string, string>;
}

export interface PdbSpec {
  namespace?: string;
  name: string;
  matchLabels: Record<string, string>;
  /** A count or a percentage such as "50%". */
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export interface SimOptions {
  seed?: number | string;
  /**
   * When the simulation began; the clock's present when absent. An earlier start makes the
   * first call catch up, which is how a scenario is warmed up before it is served.
   */
  startMs?: number;
  /** The simulation step. */
  tickMs?: number;
  /** metrics-server's scrape interval (--metric-resolution). */
  metricsResolutionMs?: number;
  /** From a scrape until the API serves it. */
  metricsLagMs?: number;
  /** Whether pods can be resized in place (the resize subresource, Kubernetes 1.33+). */
  inPlaceResize?: boolean;
  /** CPU and memory the node itself uses, reported in node metrics. */
  nodeSystemCpuMillicores?: number;
  nodeSystemMemoryBytes?: number;
}

export const DEFAULT_SIM_OPTIONS: Required<Omit<SimOptions, 'seed' | 'startMs'>> = {
  tickMs: 1000,
  metricsResolutionMs: 15_000,
  metricsLagMs: 2_000,
  inPlaceResize: true,
  nodeSystemCpuMillicores: 100,
  nodeSystemMemoryBytes: 512 * 2 ** 20,
};

/** Cumulative figures per Deployment, what evaluation and the demo read. */
export interface WorkloadTelemetry {
  simulatedSeconds: number;
  offeredRequests: number;
  servedRequests: number;
  droppedRequests: number;
  /** CPU requested by every existing pod, integrated over time: what the cluster pays for. */
  cpuRequestCoreSeconds: number;
  memoryRequestByteSeconds: number;
  sloViolationSeconds: number;
  oomKills: number;
  last: TickSample;
}

/** One tick of one Deployment. */
export interface TickSample {
  tMs: number;
  rps: number;
  readyPods: number;
  pods: number;
  p95LatencyMs: number;
  dropRatio: number;
  cpuUsageCores: number;
  cpuRequestCores: number;
  memoryUsageBytes: number;
}
