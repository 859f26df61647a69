/**
 * What a scaling policy sees and says. A policy sees a WorkloadObservation (core/workload.ts)
 * and answers with a horizontal or a vertical Decision (core/decision.ts), in domain units.
 */
import {
  type Direction,
  DIRECTIONS,
  type HorizontalDecision,
  scaleContainers,
  sumRequests,
  type VerticalDecision,
} from '../core/decision.js';
import type { ServiceLevelObjective, WorkloadObservation } from '../core/workload.js';

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
  /** The workload's service level objective (qpilot.io/slo-* annotations), when it has one. */
  slo?: ServiceLevelObjective;
}

/** The labels of a vertical head's actions (seed 002's). */
export type HeadAction = Direction;
export const HEAD_ACTIONS: readonly HeadAction[] = DIRECTIONS;

/** What a policy decides: replicas, or pod resources. */
export type PolicyDecision = HorizontalDecision | VerticalDecision;

export interface ScalingPolicy {
  readonly name: string;
  readonly kind: 'horizontal' | 'vertical';
  /** Decides for one workload; policies keep their own per-workload history. */
  decide(input: PolicyInput): PolicyDecision;
  /** Decides for many workloads at once; learned policies batch their inference. */
  decideBatch?(inputs: readonly PolicyInput[]): PolicyDecision[];
  /** Forgets a workload's history (it was deleted or excluded). */
  forget?(namespace: string, name: string): void;
  /**
   * A workload's history as JSON, so that a restart or a new leader carries on where this one
   * stopped (ARCHITECTURE.md rule 8); undefined when the policy keeps none for it.
   */
  exportState?(namespace: string, name: string): unknown;
  /** Takes back what exportState gave; a state it cannot read is ignored. */
  importState?(namespace: string, name: string, state: unknown): void;
  close?(): void;
}

/** What every decision about `o` starts with: who decided, for which workload, when. */
export function decisionHeader(
  policy: string,
  o: WorkloadObservation,
): Pick<HorizontalDecision, 'policy' | 'namespace' | 'name' | 'timeMs'> {
  return { policy, namespace: o.namespace, name: o.name, timeMs: o.timeMs };
}

/**
 * A vertical decision that takes the pod's requests to `cpuMillicores` and `memoryBytes`:
 * every app container's requests and limits scale by the same factor.
 */
export function verticalDecision(
  policy: string,
  o: WorkloadObservation,
  desired: { cpuMillicores: number; memoryBytes: number },
  rest: Pick<VerticalDecision, 'explanation'> &
    Partial<Omit<VerticalDecision, 'kind' | 'cpuMillicores' | 'memoryBytes' | 'containers'>>,
): VerticalDecision {
  const now = sumRequests(o.containers);
  const ratio = (next: number, current: number) => (current > 0 ? next / current : 1);
  const containers = scaleContainers(
    o.containers,
    ratio(desired.cpuMillicores, now.cpuMillicores),
    ratio(desired.memoryBytes, now.memoryBytes),
  );
  const after = sumRequests(containers);
  const changed =
    after.cpuMillicores !== now.cpuMillicores || after.memoryBytes !== now.memoryBytes;
  return {
    ...decisionHeader(policy, o),
    kind: 'vertical',
    cpuMillicores: {
      current: now.cpuMillicores,
      desired: changed ? after.cpuMillicores : now.cpuMillicores,
    },
    memoryBytes: {
      current: now.memoryBytes,
      desired: changed ? after.memoryBytes : now.memoryBytes,
    },
    containers,
    templateFallback: true,
    canScale: changed,
    ...rest,
  };
}

/** Seed 002's defaults: 0.1–8 cores, 20–16384 MB, scale factor 0.2; replicas 1–100. */
export const DEFAULT_BOUNDS: ScalingBounds = {
  minReplicas: 1,
  maxReplicas: 100,
  minCpuMillicores: 100,
  maxCpuMillicores: 8000,
  minMemoryBytes: 20 * 2 ** 20,
  maxMemoryBytes: 16384 * 2 ** 20,
};
