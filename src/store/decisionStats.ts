/**
 * Seed 002's statistics over the decision log: totals, the action each head chose, average
 * usage and confidence. Computed from flat columns so that the in-memory log and the SQL
 * stores count exactly alike (the SQL stores aggregate the same columns in the database).
 */
import type { HeadAction } from '../policies/types.js';
import type { DecisionRecord } from './decisionLog.js';

/** The columns a record is stored with and counted by. */
export interface DecisionColumns {
  policy: string;
  kind: 'horizontal' | 'vertical';
  outcome: DecisionRecord['outcome'];
  /** Set for vertical decisions only. */
  cpuAction: HeadAction | null;
  memoryAction: HeadAction | null;
  /** Set for horizontal decisions only: scale in, stay, scale out. */
  replicaAction: HeadAction | null;
  cpuConfidence: number | null;
  memoryConfidence: number | null;
  cpuUsageCores: number;
  memoryUsageMb: number;
  fallback: boolean;
}

export function decisionColumns(r: Omit<DecisionRecord, 'id'>): DecisionColumns {
  const d = r.decision;
  const vertical = d.kind === 'vertical' && d.resources !== undefined;
  let replicaAction: HeadAction | null = null;
  if (d.kind === 'horizontal') {
    const current = d.replicas?.current ?? 0;
    const desired = d.replicas?.desired ?? current;
    replicaAction = desired > current ? 'INCREASE' : desired < current ? 'DECREASE' : 'MAINTAIN';
  }
  const conf = (head: string) => {
    const v = d.confidence?.[head];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  return {
    policy: d.policy,
    kind: d.kind,
    outcome: r.outcome,
    cpuAction: vertical ? d.resources!.cpu.action : null,
    memoryAction: vertical ? d.resources!.memory.action : null,
    replicaAction,
    cpuConfidence: conf('cpu'),
    memoryConfidence: conf('memory'),
    cpuUsageCores: r.metrics.cpuUsageCores,
    memoryUsageMb: r.metrics.memoryUsageMb,
    fallback: d.fallback !== undefined,
  };
}

export type ActionCounts = Record<HeadAction, number>;

export interface DecisionStats {
  totalDecisions: number;
  /** Distinct workloads (and pods, when a request named one) that decisions were made for. */
  workloadsMonitored: number;
  appliedScalings: number;
  cpuActions: ActionCounts;
  memoryActions: ActionCounts;
  replicaActions: ActionCounts;
  averageCpuUsageCores: number | null;
  averageMemoryUsageMb: number | null;
  averageCpuConfidence: number | null;
  averageMemoryConfidence: number | null;
  byOutcome: Record<string, number>;
  byPolicy: Record<string, number>;
}

export const zeroCounts = (): ActionCounts => ({ DECREASE: 0, MAINTAIN: 0, INCREASE: 0 });

/** The statistics of records in memory; the SQL stores compute the same with aggregates. */
export function computeStats(records: readonly Omit<DecisionRecord, 'id'>[]): DecisionStats {
  const stats: DecisionStats = {
    totalDecisions: records.length,
    workloadsMonitored: 0,
    appliedScalings: 0,
    cpuActions: zeroCounts(),
    memoryActions: zeroCounts(),
    replicaActions: zeroCounts(),
    averageCpuUsageCores: null,
    averageMemoryUsageMb: null,
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
    if (c.outcome === 'applied' || c.outcome === 'unverified') stats.appliedScalings++;
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
    stats.averageCpuUsageCores = sums.cpu / records.length;
    stats.averageMemoryUsageMb = sums.memory / records.length;
  }
  if (sums.cpuConfN) stats.averageCpuConfidence = sums.cpuConf / sums.cpuConfN;
  if (sums.memConfN) stats.averageMemoryConfidence = sums.memConf / sums.memConfN;
  return stats;
}
