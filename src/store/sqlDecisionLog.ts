/**
 * The decision log in SQLite or PostgreSQL. `append` resolves only after the row is
 * committed, so that every decision the API acknowledged survives a crash; statistics are
 * running totals of the same columns the in-memory log counts, kept by the database.
 */
import {
  CHANGE_OUTCOMES,
  type Decision,
  type DecisionOutcome,
  OPEN_OUTCOMES,
} from '../core/decision.js';
import type {
  DecisionLog,
  DecisionRecord,
  NewDecisionRecord,
  RetentionLimits,
} from './decisionLog.js';
import { decisionColumns, type DecisionStats } from './decisionStats.js';
import { statsFromTotals } from './decisionTotals.js';
import { upgradeDecision, upgradeMetrics } from './legacy.js';
import type { Sql, SqlValue } from './sql.js';

interface Row extends Record<string, unknown> {
  id: number | string;
  body: string;
}

const list = (outcomes: readonly DecisionOutcome[]) => outcomes.map((o) => `'${o}'`).join(', ');

const COLUMNS = 'id, time_ms, namespace, workload, pod, outcome, outcome_message, settled_ms, body';

const INSERT = `INSERT INTO decisions (cluster, time_ms, namespace, workload, pod, policy, kind, outcome,
   cpu_action, memory_action, replica_action, cpu_confidence, memory_confidence,
   cpu_usage_cores, memory_usage_mb, fallback, body)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`;

function insertParams(cluster: string, record: NewDecisionRecord): SqlValue[] {
  const c = decisionColumns(record);
  const body = JSON.stringify({
    decision: record.decision,
    message: record.message,
    metrics: record.metrics,
  });
  return [
    cluster,
    record.timeMs,
    record.namespace,
    record.workload,
    record.pod ?? null,
    c.policy,
    c.kind,
    c.outcome,
    c.cpuAction,
    c.memoryAction,
    c.replicaAction,
    c.cpuConfidence,
    c.memoryConfidence,
    c.cpuUsageCores,
    c.memoryUsageMb,
    c.fallback ? 1 : 0,
    body,
  ];
}

function fromRow(r: Row): DecisionRecord {
  const body = JSON.parse(r.body) as {
    decision: Decision;
    message: string;
    metrics: DecisionRecord['metrics'];
  };
  return {
    id: Number(r.id),
    timeMs: Number(r.time_ms),
    namespace: String(r.namespace),
    workload: String(r.workload),
    ...(typeof r.pod === 'string' ? { pod: r.pod } : {}),
    outcome: r.outcome as DecisionOutcome,
    decision: upgradeDecision(body.decision),
    message: typeof r.outcome_message === 'string' ? r.outcome_message : body.message,
    metrics: upgradeMetrics(body.metrics),
    ...(r.settled_ms !== null && r.settled_ms !== undefined
      ? { settledMs: Number(r.settled_ms) }
      : {}),
  };
}

/** The log of one cluster ('' is the home cluster); `forCluster` gives another's over the same database. */
export class SqlDecisionLog implements DecisionLog {
  constructor(
    private readonly sql: Sql,
    private readonly cluster = '',
  ) {}

  forCluster(clusterId: string): DecisionLog {
    return new SqlDecisionLog(this.sql, clusterId);
  }

  async append(record: NewDecisionRecord): Promise<DecisionRecord> {
    const rows = await this.sql.all<{ id: number | string }>(
      INSERT,
      insertParams(this.cluster, record),
    );
    return { ...record, id: Number(rows[0]!.id) };
  }

  async appendMany(records: readonly NewDecisionRecord[]): Promise<DecisionRecord[]> {
    if (records.length === 0) return [];
    const results = await this.sql.transaction(
      records.map((r) => ({ sql: INSERT, params: insertParams(this.cluster, r) })),
    );
    return records.map((r, i) => ({ ...r, id: Number(results[i]![0]!.id) }));
  }

  async discard(id: number): Promise<void> {
    await this.sql.all(
      "DELETE FROM decisions WHERE id = ? AND cluster = ? AND outcome = 'pending'",
      [id, this.cluster],
    );
  }

  async settle(id: number, outcome: DecisionOutcome, message: string, timeMs: number) {
    await this.sql.all(
      'UPDATE decisions SET outcome = ?, outcome_message = ?, settled_ms = ? WHERE id = ? AND cluster = ?',
      [outcome, message, timeMs, id, this.cluster],
    );
  }

  async unsettled(): Promise<DecisionRecord[]> {
    const rows = await this.sql.all<Row>(
      `SELECT ${COLUMNS} FROM decisions WHERE outcome IN (${list(OPEN_OUTCOMES)}) AND cluster = ? ORDER BY id`,
      [this.cluster],
    );
    return rows.map(fromRow);
  }

  async lastChanges(sinceMs: number): Promise<Map<string, number>> {
    const rows = await this.sql.all<{ namespace: string; workload: string; t: number | string }>(
      `SELECT namespace, workload, MAX(time_ms) AS t FROM decisions
       WHERE outcome IN (${list(CHANGE_OUTCOMES)}) AND kind <> 'pod_deletion' AND time_ms >= ?
         AND cluster = ?
       GROUP BY namespace, workload`,
      [sinceMs, this.cluster],
    );
    return new Map(rows.map((r) => [`${r.namespace}/${r.workload}`, Number(r.t)]));
  }

  async recent(limit: number): Promise<DecisionRecord[]> {
    const rows = await this.sql.all<Row>(
      `SELECT ${COLUMNS} FROM decisions WHERE cluster = ? ORDER BY id DESC LIMIT ?`,
      [this.cluster, limit],
    );
    return rows.map(fromRow);
  }

  async get(id: number): Promise<DecisionRecord | undefined> {
    const rows = await this.sql.all<Row>(
      `SELECT ${COLUMNS} FROM decisions WHERE id = ? AND cluster = ?`,
      [id, this.cluster],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async prune(limits: RetentionLimits, batch: number): Promise<number> {
    const [newest] = await this.sql.all<{ id: number | string }>(
      'SELECT id FROM decisions ORDER BY id DESC LIMIT 1 OFFSET ?',
      [limits.keep],
    );
    const upToId = newest ? Number(newest.id) : 0;
    // In batches by id, so that one call holds SQLite's thread (the event loop's) briefly.
    const rows = await this.sql.all<{ id: number | string }>(
      `DELETE FROM decisions WHERE id IN (
         SELECT id FROM decisions
         WHERE outcome NOT IN (${list(OPEN_OUTCOMES)}) AND (time_ms < ? OR id <= ?)
         ORDER BY id LIMIT ?)
       RETURNING id`,
      [limits.beforeMs, upToId, batch],
    );
    return rows.length;
  }

  /** From the running totals the triggers keep (decisionTotals.ts), not from the log itself. */
  stats(): Promise<DecisionStats> {
    return statsFromTotals(this.sql, this.cluster);
  }

  /** The home cluster's log closes the database; another cluster's view leaves it open. */
  close(): Promise<void> {
    return this.cluster === '' ? this.sql.close() : Promise.resolve();
  }
}
