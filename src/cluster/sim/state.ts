/**
 * The simulator's internal state. Hot loops work on plain numbers here; Kubernetes objects
 * are only built when someone lists or gets them (toKube.ts).
 */
import type { RecentService } from './recentService.js';
import type { Rng } from '../../core/rng.js';
import type { ResourceQuantities } from '../clusterClient.js';
import { formatCpu, formatMemory, parseCpu, parseMemory } from '../quantity.js';
import type {
  InjectedPodState,
  SimContainerSpec,
  TickSample,
  WorkloadModel,
  WorkloadTelemetry,
} from './model.js';

export interface ContainerState {
  name: string;
  image: string;
  requests: ResourceQuantities;
  limits: ResourceQuantities;
  cpuRequestM: number;
  cpuLimitM: number;
  memoryRequestB: number;
  memoryLimitB: number;
}

export interface Scrape {
  tMs: number;
  cumCpuCoreSec: number;
  memoryB: number;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

export interface PodState {
  uid: string;
  name: string;
  namespace: string;
  key: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner: DeploymentState | null;
  templateGen: number;
  templateHash: string;
  containers: ContainerState[];
  cpuRequestM: number;
  memoryRequestB: number;
  nodeName: string | null;
  podIp: string | null;
  phase: PodPhase;
  createdMs: number;
  scheduledMs: number | null;
  containerStartMs: number | null;
  readyAtMs: number | null;
  ready: boolean;
  readySinceMs: number | null;
  waitingReason: string | null;
  lastTerminationReason: string | null;
  restartCount: number;
  crashStreak: number;
  backoffUntilMs: number | null;
  stuck: InjectedPodState | null;
  deletionMs: number | null;
  removeAtMs: number | null;
  unschedulableMessage: string | null;
  /** Whether the pod's requests count against its node. */
  holdsNode: boolean;
  cpuCores: number;
  memoryB: number;
  cumCpuCoreSec: number;
  scrapes: Scrape[];
  resourceVersion: number;
}

export interface DeploymentState {
  uid: string;
  namespace: string;
  name: string;
  key: string;
  labels: Record<string, string>;
  podLabels: Record<string, string>;
  annotations: Record<string, string>;
  replicas: number;
  generation: number;
  templateGen: number;
  templateHash: string;
  containers: ContainerState[];
  model: WorkloadModel;
  pods: PodState[];
  createdMs: number;
  /** The sim time the trace's offset refers to. */
  loadStartMs: number;
  failNewPodsWith: InjectedPodState | null;
  telemetry: WorkloadTelemetry;
  needsReconcile: boolean;
  rollingOut: boolean;
  resourceVersion: number;
  noise: Rng;
  listeners: ((sample: TickSample) => void)[];
  /** The last minute of its service, for serviceSignals(). */
  recent: RecentService;
}

export interface NodeState {
  uid: string;
  name: string;
  labels: Record<string, string>;
  index: number;
  cpuCapacityM: number;
  memoryCapacityB: number;
  cpuAllocatableM: number;
  memoryAllocatableB: number;
  maxPods: number;
  unschedulable: boolean;
  cpuRequestedM: number;
  memoryRequestedB: number;
  podCount: number;
  nextIp: number;
  createdMs: number;
  resourceVersion: number;
}

export interface PdbState {
  uid: string;
  namespace: string;
  name: string;
  matchLabels: Record<string, string>;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
  createdMs: number;
}

export function containerFromSpec(spec: SimContainerSpec): ContainerState {
  const requests: ResourceQuantities = {};
  const limits: ResourceQuantities = {};
  if (spec.requests?.cpu !== undefined) requests.cpu = formatCpu(parseCpu(spec.requests.cpu));
  if (spec.requests?.memory !== undefined)
    requests.memory = formatMemory(parseMemory(spec.requests.memory));
  if (spec.limits?.cpu !== undefined) limits.cpu = formatCpu(parseCpu(spec.limits.cpu));
  if (spec.limits?.memory !== undefined)
    limits.memory = formatMemory(parseMemory(spec.limits.memory));
  // A template keeps what it was given: the API server defaults requests on pods only.
  return withNumbers({
    name: spec.name,
    image: spec.image ?? 'registry.example/app:1.0',
    requests,
    limits,
  });
}

/**
 * A container of a new pod, as the API server defaults it (SetDefaults_Pod): a limit without a
 * request sets the request. Templates are never defaulted, so a Deployment that sets only
 * limits shows no requests while its pods do.
 */
export function podContainer(template: ContainerState): ContainerState {
  const requests = { ...template.requests };
  if (template.limits.cpu !== undefined && requests.cpu === undefined)
    requests.cpu = template.limits.cpu;
  if (template.limits.memory !== undefined && requests.memory === undefined)
    requests.memory = template.limits.memory;
  // A copy of the whole template container, then its fields: V8 clones the object's layout,
  // which keeps the hot loops over pods fast (rebuilding it from four fields halves them).
  return {
    ...template,
    requests,
    limits: { ...template.limits },
    cpuRequestM: requests.cpu ? parseCpu(requests.cpu) : 0,
    memoryRequestB: requests.memory ? parseMemory(requests.memory) : 0,
  };
}

export function withNumbers(
  c: Omit<ContainerState, 'cpuRequestM' | 'cpuLimitM' | 'memoryRequestB' | 'memoryLimitB'>,
): ContainerState {
  return {
    ...c,
    cpuRequestM: c.requests.cpu ? parseCpu(c.requests.cpu) : 0,
    cpuLimitM: c.limits.cpu ? parseCpu(c.limits.cpu) : 0,
    memoryRequestB: c.requests.memory ? parseMemory(c.requests.memory) : 0,
    memoryLimitB: c.limits.memory ? parseMemory(c.limits.memory) : 0,
  };
}

export function sumRequests(containers: readonly ContainerState[]): {
  cpuM: number;
  memoryB: number;
} {
  let cpuM = 0;
  let memoryB = 0;
  for (const c of containers) {
    cpuM += c.cpuRequestM;
    memoryB += c.memoryRequestB;
  }
  return { cpuM, memoryB };
}

/** CPU cores the serving container may use: its limit, else its request, else one core. */
export function servingCores(pod: PodState): number {
  const c = pod.containers[0];
  if (!c) return 1;
  return (c.cpuLimitM || c.cpuRequestM || 1000) / 1000;
}

/** Pods that count towards the Deployment's replicas (as the ReplicaSet controller counts). */
export function isActive(pod: PodState): boolean {
  return pod.deletionMs === null && pod.phase !== 'Failed' && pod.phase !== 'Succeeded';
}

const PHASE_RANK: Record<PodPhase, number> = { Pending: 0, Running: 2, Succeeded: 3, Failed: 3 };

/**
 * The order in which the ReplicaSet controller deletes pods when scaling down: unscheduled
 * before scheduled, pending before running, not ready before ready, ready for less time
 * before ready for longer, more restarts before fewer, newer before older.
 */
export function deletionOrder(a: PodState, b: PodState): number {
  if ((a.nodeName === null) !== (b.nodeName === null)) return a.nodeName === null ? -1 : 1;
  if (PHASE_RANK[a.phase] !== PHASE_RANK[b.phase]) return PHASE_RANK[a.phase] - PHASE_RANK[b.phase];
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  if (a.ready && b.ready && a.readySinceMs !== b.readySinceMs)
    return (b.readySinceMs ?? 0) - (a.readySinceMs ?? 0);
  if (a.restartCount !== b.restartCount) return b.restartCount - a.restartCount;
  if (a.createdMs !== b.createdMs) return b.createdMs - a.createdMs;
  return a.name < b.name ? -1 : 1;
}

/** A 10-character hash of a pod template, in the alphabet Kubernetes uses for names. */
export function templateHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619);
    h2 = Math.imul(h2 ^ c, 2246822519);
  }
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let x = (h1 >>> 0) * 4294967296 + (h2 >>> 0);
  let out = '';
  for (let i = 0; i < 10; i++) {
    out += alphabet[x % alphabet.length];
    x = Math.floor(x / alphabet.length);
  }
  return out;
}

export function emptySample(tMs: number): TickSample {
  return {
    tMs,
    rps: 0,
    readyPods: 0,
    pods: 0,
    p95LatencyMs: 0,
    dropRatio: 0,
    cpuUsageCores: 0,
    cpuRequestCores: 0,
    memoryUsageBytes: 0,
  };
}

export function emptyTelemetry(tMs: number): WorkloadTelemetry {
  return {
    simulatedSeconds: 0,
    offeredRequests: 0,
    servedRequests: 0,
    droppedRequests: 0,
    cpuRequestCoreSeconds: 0,
    memoryRequestByteSeconds: 0,
    sloViolationSeconds: 0,
    oomKills: 0,
    last: emptySample(tMs),
  };
}
