/**
 * The decision log in SQLite or PostgreSQL. `append` resolves only after the row is
 * committed, so that every decision the API acknowledged survives a crash; statistics are
 * aggregated in the database over the same columns the in-memory log counts.
 */
import {
  CHANGE_OUTCOMES,
  type Decision,
  type DecisionOutcome,
  DIRECTIONS,
  type Direction,
  OPEN_OUTCOMES,
} from '../core/decision.js';
import type { DecisionLog, DecisionRecord, NewDecisionRecord } from './decisionLog.js';
import {
  APPLIED_OUTCOMES,
  decisionColumns,
  type DecisionStats,
  zeroCounts,
} from './decisionStats.js';
import { upgradeDecision, upgradeMetrics } from './legacy.js';
import type { Sql, SqlValue } from './sql.js';

interface Row extends Record<string, unknown> {
  id: number | string;
  body: string;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const list = (outcomes: readonly DecisionOutcome[]) => outcomes.map((o) => `'${o}'`).join(', ');

const COLUMNS = 'id, time_ms, namespace, workload, pod, outcome, outcome_message, settled_ms, body';

const INSERT = `INSERT INTO decisions (time_ms, namespace, workload, pod, policy, kind, outcome,
   cpu_action, memory_action, replica_action, cpu_confidence, memory_confidence,
   cpu_usage_cores, memory_usage_mb, fallback, body)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`;

function insertParams(record: NewDecisionRecord): SqlValue[] {
  const c = decisionColumns(record);
  const body = JSON.stringify({
    decision: record.decision,
    message: record.message,
    metrics: record.metrics,
  });
  return [
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

export class SqlDecisionLog implements DecisionLog {
  constructor(private readonly sql: Sql) {}

  async append(record: NewDecisionRecord): Promise<DecisionRecord> {
    const rows = await this.sql.all<{ id: number | string }>(INSERT, insertParams(record));
    return { ...record, id: Number(rows[0]!.id) };
  }

  async appendMany(records: readonly NewDecisionRecord[]): Promise<DecisionRecord[]> {
    if (records.length === 0) return [];
    const results = await this.sql.transaction(
      records.map((r) => ({ sql: INSERT, params: insertParams(r) })),
    );
    return records.map((r, i) => ({ ...r, id: Number(results[i]![0]!.id) }));
  }

  async discard(id: number): Promise<void> {
    await this.sql.all("DELETE FROM decisions WHERE id = ? AND outcome = 'pending'", [id]);
  }

  async settle(id: number, outcome: DecisionOutcome, message: string, timeMs: number) {
    await this.sql.all(
      'UPDATE decisions SET outcome = ?, outcome_message = ?, settled_ms = ? WHERE id = ?',
      [outcome, message, timeMs, id],
    );
  }

  async unsettled(): Promise<DecisionRecord[]> {
    const rows = await this.sql.all<Row>(
      `SELECT ${COLUMNS} FROM decisions WHERE outcome IN (${list(OPEN_OUTCOMES)}) ORDER BY id`,
    );
    return rows.map(fromRow);
  }

  async lastChanges(sinceMs: number): Promise<Map<string, number>> {
    const rows = await this.sql.all<{ namespace: string; workload: string; t: number | string }>(
      `SELECT namespace, workload, MAX(time_ms) AS t FROM decisions
       WHERE outcome IN (${list(CHANGE_OUTCOMES)}) AND kind <> 'pod_deletion' AND time_ms >= ?
       GROUP BY namespace, workload`,
      [sinceMs],
    );
    return new Map(rows.map((r) => [`${r.namespace}/${r.workload}`, Number(r.t)]));
  }

  async recent(limit: number): Promise<DecisionRecord[]> {
    const rows = await this.sql.all<Row>(
      `SELECT ${COLUMNS} FROM decisions ORDER BY id DESC LIMIT ?`,
      [limit],
    );
    return rows.map(fromRow);
  }

  async get(id: number): Promise<DecisionRecord | undefined> {
    const rows = await this.sql.all<Row>(`SELECT ${COLUMNS} FROM decisions WHERE id = ?`, [id]);
    return rows[0] && fromRow(rows[0]);
  }

  async stats(): Promise<DecisionStats> {
    const [totals] = await this.sql.all(
      `SELECT COUNT(*) AS total,
         COUNT(DISTINCT namespace || '/' || workload) AS workloads,
         SUM(CASE WHEN outcome IN (${list(APPLIED_OUTCOMES)}) THEN 1 ELSE 0 END) AS applied,
         AVG(cpu_usage_cores) AS cpu, AVG(memory_usage_mb) AS memory,
         AVG(cpu_confidence) AS cpu_conf, AVG(memory_confidence) AS memory_conf
       FROM decisions`,
    );
    const counts = async (column: string) => {
      const out = zeroCounts();
      const rows = await this.sql.all<{ k: string; n: number | string }>(
        `SELECT ${column} AS k, COUNT(*) AS n FROM decisions WHERE ${column} IS NOT NULL GROUP BY ${column}`,
      );
      for (const r of rows)
        if ((DIRECTIONS as readonly string[]).includes(r.k)) out[r.k as Direction] = Number(r.n);
      return out;
    };
    const grouped = async (column: string) => {
      const rows = await this.sql.all<{ k: string; n: number | string }>(
        `SELECT ${column} AS k, COUNT(*) AS n FROM decisions GROUP BY ${column}`,
      );
      return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
    };
    const t = totals ?? {};
    const cpu = num(t.cpu);
    const memory = num(t.memory);
    return {
      totalDecisions: Number(t.total ?? 0),
      workloadsMonitored: Number(t.workloads ?? 0),
      appliedScalings: Number(t.applied ?? 0),
      cpuActions: await counts('cpu_action'),
      memoryActions: await counts('memory_action'),
      replicaActions: await counts('replica_action'),
      averageCpuUsageMillicores: cpu === null ? null : cpu * 1000,
      averageMemoryUsageBytes: memory === null ? null : memory * 2 ** 20,
      averageCpuConfidence: num(t.cpu_conf),
      averageMemoryConfidence: num(t.memory_conf),
      byOutcome: await grouped('outcome'),
      byPolicy: await grouped('policy'),
    };
  }

  close(): Promise<void> {
    return this.sql.close();
  }
}
