/**
 * The decision log in SQLite or PostgreSQL. `append` resolves only after the row is
 * committed, so that every decision the API acknowledged survives a crash; statistics are
 * aggregated in the database over the same columns the in-memory log counts.
 */
import { HEAD_ACTIONS, type HeadAction } from '../policies/types.js';
import type { DecisionLog, DecisionRecord, NewDecisionRecord } from './decisionLog.js';
import { decisionColumns, type DecisionStats, zeroCounts } from './decisionStats.js';
import type { Sql } from './sql.js';

interface Row extends Record<string, unknown> {
  id: number | string;
  body: string;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export class SqlDecisionLog implements DecisionLog {
  constructor(private readonly sql: Sql) {}

  async append(record: NewDecisionRecord): Promise<DecisionRecord> {
    const c = decisionColumns(record);
    const body = JSON.stringify({
      decision: record.decision,
      message: record.message,
      metrics: record.metrics,
    });
    const rows = await this.sql.all<{ id: number | string }>(
      `INSERT INTO decisions (time_ms, namespace, workload, pod, policy, kind, outcome,
         cpu_action, memory_action, replica_action, cpu_confidence, memory_confidence,
         cpu_usage_cores, memory_usage_mb, fallback, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
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
      ],
    );
    return { ...record, id: Number(rows[0]!.id) };
  }

  async recent(limit: number): Promise<DecisionRecord[]> {
    const rows = await this.sql.all<Row>(
      'SELECT id, time_ms, namespace, workload, pod, outcome, body FROM decisions ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => {
      const body = JSON.parse(r.body) as Pick<DecisionRecord, 'decision' | 'message' | 'metrics'>;
      return {
        id: Number(r.id),
        timeMs: Number(r.time_ms),
        namespace: String(r.namespace),
        workload: String(r.workload),
        ...(typeof r.pod === 'string' ? { pod: r.pod } : {}),
        outcome: r.outcome as DecisionRecord['outcome'],
        ...body,
      };
    });
  }

  async stats(): Promise<DecisionStats> {
    const [totals] = await this.sql.all(
      `SELECT COUNT(*) AS total,
         COUNT(DISTINCT namespace || '/' || workload) AS workloads,
         SUM(CASE WHEN outcome IN ('applied', 'unverified') THEN 1 ELSE 0 END) AS applied,
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
        if ((HEAD_ACTIONS as readonly string[]).includes(r.k)) out[r.k as HeadAction] = Number(r.n);
      return out;
    };
    const grouped = async (column: string) => {
      const rows = await this.sql.all<{ k: string; n: number | string }>(
        `SELECT ${column} AS k, COUNT(*) AS n FROM decisions GROUP BY ${column}`,
      );
      return Object.fromEntries(rows.map((r) => [r.k, Number(r.n)]));
    };
    const t = totals ?? {};
    return {
      totalDecisions: Number(t.total ?? 0),
      workloadsMonitored: Number(t.workloads ?? 0),
      appliedScalings: Number(t.applied ?? 0),
      cpuActions: await counts('cpu_action'),
      memoryActions: await counts('memory_action'),
      replicaActions: await counts('replica_action'),
      averageCpuUsageCores: num(t.cpu),
      averageMemoryUsageMb: num(t.memory),
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
