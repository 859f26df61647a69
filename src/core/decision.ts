/**
 * What is decided about a workload and what became of it, in domain units (replicas;
 * millicores and bytes per container). Seed 002's wire shapes (cores, MiB, INCREASE) are views
 * made at the API edge (api/decisionViews.ts); the store keeps these. A policy produces a
 * horizontal or a vertical decision; an operator's command is a decision too (policy
 * `manual`), and so is each pod `POST /pod/confirm` removes.
 */
import type { ContainerResources } from './workload.js';

interface DecisionBase {
  /** Who decided: a policy's name, or `manual` for an operator's command. */
  policy: string;
  namespace: string;
  name: string;
  timeMs: number;
  /** Whether the decision changes anything that may be changed now. */
  canScale: boolean;
  explanation: { reasoning: string; factors: string[] };
  /** Q-values per head ('replicas', 'cpu', 'memory'), for learned policies. */
  qValues?: Record<string, number[]>;
  /** The action each head chose, by the policy's own label. */
  actions?: Record<string, string>;
  /** Softmax probability of the chosen action, per head. */
  confidence?: Record<string, number>;
  /** Usage per pod expected at the next step (seed 002's future_predictions). */
  predictions?: { nextStepCpuMillicores: number; nextStepMemoryBytes: number };
  /** Set when a fallback policy decided instead. */
  fallback?: { from: string; reason: string };
  /** What the guardrails changed. */
  guardrails?: string[];
}

export interface HorizontalDecision extends DecisionBase {
  kind: 'horizontal';
  replicas: { current: number; desired: number };
}

/** A resource of a pod, now and as decided. */
export interface ResourceStep {
  current: number;
  desired: number;
}

export interface VerticalDecision extends DecisionBase {
  kind: 'vertical';
  /** Per pod: the sum of its app containers' requests, now and as decided. */
  cpuMillicores: ResourceStep;
  memoryBytes: ResourceStep;
  /** Each app container's requests and limits as decided: what the actuator sets. */
  containers: ContainerResources[];
  /** One named pod (seed 002's resize route); every running pod of the workload when absent. */
  pod?: string;
  /** Whether the Deployment's template may be patched when the pod cannot be resized in place. */
  templateFallback: boolean;
}

/** A pod removed because it is not healthy (seed 004's `POST /pod/confirm`). */
export interface PodDeletionDecision extends DecisionBase {
  kind: 'pod_deletion';
  pod: string;
  /** kubectl's STATUS when it was removed: Pending, CrashLoopBackOff, … */
  podStatus: string;
  gracePeriodSeconds?: number;
}

export type Decision = HorizontalDecision | VerticalDecision | PodDeletionDecision;
export type DecisionKind = Decision['kind'];

/** What became of a decision. */
export type DecisionOutcome =
  | 'pending' // recorded; the cluster is about to be asked (or qpilot stopped in between)
  | 'in_progress' // the API server accepted the change; its rollout is being verified
  | 'applied' // acted on and verified
  | 'unverified' // acted on, but the rollout did not finish in time
  | 'failed' // the cluster refused it, or qpilot stopped before making it
  | 'superseded' // a later change to the workload was made before this one was verified
  | 'dry_run' // dry_run is on: decided, recorded, not acted on
  | 'recommend' // the workload's mode is recommend
  | 'no_change' // nothing to change (or nothing that can be computed)
  | 'cooldown'; // a change was wanted, but the workload is in its cooldown

/** Outcomes of a change that was made (or may have been): they start a workload's cooldown. */
export const CHANGE_OUTCOMES: readonly DecisionOutcome[] = [
  'pending',
  'in_progress',
  'applied',
  'unverified',
  'superseded',
];
/** Outcomes not yet final. */
export const OPEN_OUTCOMES: readonly DecisionOutcome[] = ['pending', 'in_progress'];

/** Usage and limits per pod when the decision was made (seed 002's current_metrics). */
export interface DecisionMetrics {
  cpuUsageMillicores: number;
  memoryUsageBytes: number;
  cpuLimitMillicores: number;
  memoryLimitBytes: number;
}

export interface DecisionRecord {
  id: number;
  timeMs: number;
  namespace: string;
  workload: string;
  /** The pod the request named, for seed 002's pod-level routes. */
  pod?: string;
  decision: Decision;
  outcome: DecisionOutcome;
  message: string;
  metrics: DecisionMetrics;
  /** When the outcome last changed after the record was made. */
  settledMs?: number;
}

export type NewDecisionRecord = Omit<DecisionRecord, 'id' | 'settledMs'>;

/**
 * The writing half of the decision store, which is all the actuator needs: a decision is
 * appended before the cluster is touched and settled after. Each call resolves once durable.
 */
export interface DecisionJournal {
  append(record: NewDecisionRecord): Promise<DecisionRecord>;
  /** Several records in one transaction (a cycle's decisions that change nothing). */
  appendMany(records: readonly NewDecisionRecord[]): Promise<DecisionRecord[]>;
  /** Removes a pending record whose change the cluster refused (an operator's bad request). */
  discard(id: number): Promise<void>;
  /** Sets a record's outcome and message. */
  settle(id: number, outcome: DecisionOutcome, message: string, timeMs: number): Promise<void>;
  /** Records whose outcome is not final (pending, in_progress), oldest first. */
  unsettled(): Promise<DecisionRecord[]>;
  /** The time of each workload's latest change (pod deletions aside) made at or after `sinceMs`, by workload key. */
  lastChanges(sinceMs: number): Promise<Map<string, number>>;
}

/** Which way a quantity moves (the vocabulary of seed 002's heads and of the stored records). */
export type Direction = 'DECREASE' | 'MAINTAIN' | 'INCREASE';
export const DIRECTIONS: readonly Direction[] = ['DECREASE', 'MAINTAIN', 'INCREASE'];

export const direction = (step: ResourceStep): Direction =>
  step.desired > step.current ? 'INCREASE' : step.desired < step.current ? 'DECREASE' : 'MAINTAIN';

export const isScaleUp = (d: Decision): boolean =>
  d.kind === 'horizontal' && d.replicas.desired > d.replicas.current;

/** A decision in one line, for messages and Events. */
export function describeDecision(d: Decision): string {
  switch (d.kind) {
    case 'horizontal':
      return `scale ${d.name} from ${d.replicas.current} to ${d.replicas.desired} replicas`;
    case 'vertical': {
      const cpu = `${Math.round(d.cpuMillicores.current)}m → ${Math.round(d.cpuMillicores.desired)}m CPU`;
      const mem = `${mib(d.memoryBytes.current)} → ${mib(d.memoryBytes.desired)} memory`;
      return `resize ${d.pod ? `pod ${d.pod}` : `${d.name}'s pods`}: ${cpu}, ${mem}`;
    }
    case 'pod_deletion':
      return `delete pod ${d.pod} (${d.podStatus})`;
  }
}

const mib = (b: number) => `${Math.round(b / 2 ** 20)}Mi`;

/**
 * Each app container's resources after a pod-level change: requests and limits scaled by the
 * same factor as the pod's total request, so that their proportions stay. CPU in whole
 * millicores (at least 1), memory in whole MiB (at least 1 MiB).
 */
export function scaleContainers(
  containers: readonly ContainerResources[],
  cpuFactor: number,
  memoryFactor: number,
): ContainerResources[] {
  // A resource that does not change keeps its exact value (it need not be whole MiB).
  const cpu = (v: number | undefined) =>
    v === undefined || cpuFactor === 1 ? v : Math.max(1, Math.round(v * cpuFactor));
  const memory = (v: number | undefined) =>
    v === undefined || memoryFactor === 1
      ? v
      : Math.max(2 ** 20, Math.round((v * memoryFactor) / 2 ** 20) * 2 ** 20);
  const amounts = (a: ContainerResources['requests']) => ({
    ...(a.cpuMillicores !== undefined ? { cpuMillicores: cpu(a.cpuMillicores) } : {}),
    ...(a.memoryBytes !== undefined ? { memoryBytes: memory(a.memoryBytes) } : {}),
  });
  return containers.map((c) => ({
    name: c.name,
    requests: amounts(c.requests),
    limits: amounts(c.limits),
  }));
}

/** The sum of the containers' requests (what a vertical decision calls a pod's size). */
export function sumRequests(containers: readonly ContainerResources[]): {
  cpuMillicores: number;
  memoryBytes: number;
} {
  let cpuMillicores = 0;
  let memoryBytes = 0;
  for (const c of containers) {
    cpuMillicores += c.requests.cpuMillicores ?? 0;
    memoryBytes += c.requests.memoryBytes ?? 0;
  }
  return { cpuMillicores, memoryBytes };
}
