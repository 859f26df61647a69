/**
 * Seed 002's statistics over the decision log: totals, the action each head chose, average
 * usage and confidence. Computed from flat columns so that the in-memory log and the SQL
 * stores count exactly alike (the SQL stores aggregate the same columns in the database).
 */
import {
  type DecisionKind,
  type DecisionOutcome,
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

/** The statistics of records in memory; the SQL stores compute the same with aggregates. */
export function computeStats(records: readonly NewDecisionRecord[]): DecisionStats {
  const stats: DecisionStats = {
    totalDecisions: records.length,
    workloadsMonitored: 0,
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
  const workloads = new Set<string>();
  const sums = { cpu: 0, memory: 0, cpuConf: 0, cpuConfN: 0, memConf: 0, memConfN: 0 };
  for (const r of records) {
    const c = decisionColumns(r);
    workloads.add(`${r.namespace}/${r.workload}`);
    if (APPLIED_OUTCOMES.includes(c.outcome)) stats.appliedScalings++;
    if (c.cpuAction) stats.cpuActions[c.cpuAction]++;
    if (c.memoryAction) stats.memoryActions[c.memoryAction]++;
    if (c.replicaAction) stats.replicaActions[c.replicaAction]++;
    sums.cpu += c.cpuUsageCores;
    sums.memory += c.memoryUsageMb;
    if (c.cpuConfidence !== null) {
      sums.cpuConf += c.cpuConfidence;
      sums.cpuConfN++;
    }
    if (c.memoryConfidence !== null) {
      sums.memConf += c.memoryConfidence;
      sums.memConfN++;
    }
    stats.byOutcome[c.outcome] = (stats.byOutcome[c.outcome] ?? 0) + 1;
    stats.byPolicy[c.policy] = (stats.byPolicy[c.policy] ?? 0) + 1;
  }
  stats.workloadsMonitored = workloads.size;
  if (records.length > 0) {
    stats.averageCpuUsageMillicores = (sums.cpu / records.length) * 1000;
    stats.averageMemoryUsageBytes = (sums.memory / records.length) * 2 ** 20;
  }
  if (sums.cpuConfN) stats.averageCpuConfidence = sums.cpuConf / sums.cpuConfN;
  if (sums.memConfN) stats.averageMemoryConfidence = sums.memConf / sums.memConfN;
  return stats;
}
