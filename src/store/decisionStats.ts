/**
 * Seed 002's statistics over the decision log: totals, the action each head chose, average
 * usage and confidence. Computed from flat columns so that the in-memory log and the SQL
 * stores count exactly alike (the SQL stores aggregate the same columns in the database).
 */
import {
  type DecisionKind,
  type DecisionOutcome,
  DIRECTIONS,
  type Direction,
  direction,
  type NewDecisionRecord,
} from '../core/decision.js';

/** The columns a record is stored with and counted by (their names predate domain units). */
export interface DecisionColumns {
  policy: string;
  kind: DecisionKind;
  outcome: DecisionOutcome;
  /** Set for vertical decisions only. */
  cpuAction: Direction | null;
  memoryAction: Direction | null;
  /** Set for horizontal decisions only: scale in, stay, scale out. */
  replicaAction: Direction | null;
  cpuConfidence: number | null;
  memoryConfidence: number | null;
  cpuUsageCores: number;
  memoryUsageMb: number;
  fallback: boolean;
}

export function decisionColumns(r: NewDecisionRecord): DecisionColumns {
  const d = r.decision;
  const conf = (head: string) => {
    const v = d.confidence?.[head];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  return {
    policy: d.policy,
    kind: d.kind,
    outcome: r.outcome,
    cpuAction: d.kind === 'vertical' ? direction(d.cpuMillicores) : null,
    memoryAction: d.kind === 'vertical' ? direction(d.memoryBytes) : null,
    replicaAction: d.kind === 'horizontal' ? direction(d.replicas) : null,
    cpuConfidence: conf('cpu'),
    memoryConfidence: conf('memory'),
    cpuUsageCores: r.metrics.cpuUsageMillicores / 1000,
    memoryUsageMb: r.metrics.memoryUsageBytes / 2 ** 20,
    fallback: d.fallback !== undefined,
  };
}

/** Outcomes that count as seed 002's applied scalings: changes the cluster accepted. */
export const APPLIED_OUTCOMES: readonly DecisionOutcome[] = [
  'in_progress',
  'applied',
  'unverified',
  'superseded',
];

export type ActionCounts = Record<Direction, number>;

export interface DecisionStats {
  totalDecisions: number;
  /** Distinct workloads (and pods, when a request named one) that decisions were made for. */
  workloadsMonitored: number;
  appliedScalings: number;
  cpuActions: ActionCounts;
  memoryActions: ActionCounts;
  replicaActions: ActionCounts;
  averageCpuUsageMillicores: number | null;
  averageMemoryUsageBytes: number | null;
  averageCpuConfidence: number | null;
  averageMemoryConfidence: number | null;
  byOutcome: Record<string, number>;
  byPolicy: Record<string, number>;
}

export const zeroCounts = (): ActionCounts => ({ DECREASE: 0, MAINTAIN: 0, INCREASE: 0 });

/** Decisions that share the columns the statistics group by, and the sums of their figures. */
export interface DecisionGroup {
  policy: string;
  outcome: string;
  cpuAction: string | null;
  memoryAction: string | null;
  replicaAction: string | null;
  n: number;
  cpuSum: number;
  memorySum: number;
  cpuConfSum: number;
  cpuConfN: number;
  memoryConfSum: number;
  memoryConfN: number;
}

const isDirection = (v: string | null): v is Direction =>
  v !== null && (DIRECTIONS as readonly string[]).includes(v);

/**
 * Seed 002's statistics from groups of decisions: the one way they are counted, by the
 * in-memory log (a group per record) and by the SQL stores (their running totals).
 */
export function statsFromGroups(groups: Iterable<DecisionGroup>, workloads: number): DecisionStats {
  const stats: DecisionStats = {
    totalDecisions: 0,
    workloadsMonitored: workloads,
    appliedScalings: 0,
    cpuActions: zeroCounts(),
    memoryActions: zeroCounts(),
    replicaActions: zeroCounts(),
    averageCpuUsageMillicores: null,
    averageMemoryUsageBytes: null,
    averageCpuConfidence: null,
    averageMemoryConfidence: null,
    byOutcome: {},
    byPolicy: {},
  };
  const sums = { cpu: 0, memory: 0, cpuConf: 0, cpuConfN: 0, memConf: 0, memConfN: 0 };
  for (const g of groups) {
    if (g.n <= 0) continue;
    stats.totalDecisions += g.n;
    if ((APPLIED_OUTCOMES as readonly string[]).includes(g.outcome)) stats.appliedScalings += g.n;
    if (isDirection(g.cpuAction)) stats.cpuActions[g.cpuAction] += g.n;
    if (isDirection(g.memoryAction)) stats.memoryActions[g.memoryAction] += g.n;
    if (isDirection(g.replicaAction)) stats.replicaActions[g.replicaAction] += g.n;
    stats.byOutcome[g.outcome] = (stats.byOutcome[g.outcome] ?? 0) + g.n;
    stats.byPolicy[g.policy] = (stats.byPolicy[g.policy] ?? 0) + g.n;
    sums.cpu += g.cpuSum;
    sums.memory += g.memorySum;
    sums.cpuConf += g.cpuConfSum;
    sums.cpuConfN += g.cpuConfN;
    sums.memConf += g.memoryConfSum;
    sums.memConfN += g.memoryConfN;
  }
  if (stats.totalDecisions > 0) {
    stats.averageCpuUsageMillicores = (sums.cpu / stats.totalDecisions) * 1000;
    stats.averageMemoryUsageBytes = (sums.memory / stats.totalDecisions) * 2 ** 20;
  }
  if (sums.cpuConfN > 0) stats.averageCpuConfidence = sums.cpuConf / sums.cpuConfN;
  if (sums.memConfN > 0) stats.averageMemoryConfidence = sums.memConf / sums.memConfN;
  return stats;
}

/** The statistics of records in memory: each record a group of its own. */
export function computeStats(records: readonly NewDecisionRecord[]): DecisionStats {
  const workloads = new Set(records.map((r) => `${r.namespace}/${r.workload}`));
  return statsFromGroups(
    records.map((r) => {
      const c = decisionColumns(r);
      return {
        policy: c.policy,
        outcome: c.outcome,
        cpuAction: c.cpuAction,
        memoryAction: c.memoryAction,
        replicaAction: c.replicaAction,
        n: 1,
        cpuSum: c.cpuUsageCores,
        memorySum: c.memoryUsageMb,
        cpuConfSum: c.cpuConfidence ?? 0,
        cpuConfN: c.cpuConfidence === null ? 0 : 1,
        memoryConfSum: c.memoryConfidence ?? 0,
        memoryConfN: c.memoryConfidence === null ? 0 : 1,
      };
    }),
    workloads.size,
  );
}
