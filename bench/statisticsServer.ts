/**
 * A server for the /health-under-/statistics benchmark, in its own process, over a SQLite
 * store of 100,000 decisions. `totals` is qpilot as it is (statistics from the running totals
 * the database keeps); `scan` answers /statistics as qpilot did before them, with the same
 * aggregates over the whole decisions table, so that both are measured in one run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../src/core/clock.js';
import type { Decision } from '../src/core/decision.js';
import type { DecisionLog } from '../src/store/decisionLog.js';
import { APPLIED_OUTCOMES, type DecisionStats, zeroCounts } from '../src/store/decisionStats.js';
import { openStore } from '../src/store/openStore.js';
import type { Sql } from '../src/store/sql.js';
import { listenBenchApp } from './benchApp.js';

export const DECISIONS = 100_000;

const mode = process.argv[2];
const clock = new RealClock();
const store = await openStore({
  dataDir: mkdtempSync(join(tmpdir(), 'qpilot-bench-stats-')),
  cwd: '/',
  nowMs: clock.now(),
});
const decision = (i: number): Decision => ({
  policy: i % 3 ? 'dqn' : 'hpa',
  kind: 'horizontal',
  namespace: 'default',
  name: `svc-${i % 100}`,
  timeMs: clock.now(),
  replicas: { current: 2, desired: 2 + (i % 3) - 1 },
  confidence: { replicas: 0.5 },
  canScale: true,
  explanation: { reasoning: 'load changes', factors: [] },
});
for (let k = 0; k < DECISIONS; k += 1000)
  await store.decisions.appendMany(
    Array.from({ length: 1000 }, (_, i) => ({
      timeMs: clock.now(),
      namespace: 'default',
      workload: `svc-${(k + i) % 100}`,
      decision: decision(k + i),
      outcome: (k + i) % 2 ? ('dry_run' as const) : ('applied' as const),
      message: 'm',
      metrics: {
        cpuUsageMillicores: 150,
        memoryUsageBytes: 2 ** 28,
        cpuLimitMillicores: 500,
        memoryLimitBytes: 2 ** 29,
      },
    })),
  );

/** The statistics as qpilot computed them before running totals: six scans of the table. */
async function scanStats(sql: Sql): Promise<DecisionStats> {
  const list = APPLIED_OUTCOMES.map((o) => `'${o}'`).join(', ');
  const [t = {}] = await sql.all(
    `SELECT COUNT(*) AS total, COUNT(DISTINCT namespace || '/' || workload) AS workloads,
       SUM(CASE WHEN outcome IN (${list}) THEN 1 ELSE 0 END) AS applied,
       AVG(cpu_usage_cores) AS cpu, AVG(memory_usage_mb) AS memory,
       AVG(cpu_confidence) AS cpu_conf, AVG(memory_confidence) AS memory_conf FROM decisions`,
  );
  const counts = async (column: string) => {
    const out = zeroCounts();
    for (const r of await sql.all(
      `SELECT ${column} AS k, COUNT(*) AS n FROM decisions WHERE ${column} IS NOT NULL GROUP BY ${column}`,
    ))
      out[r.k as keyof typeof out] = Number(r.n);
    return out;
  };
  const grouped = async (column: string) =>
    Object.fromEntries(
      (await sql.all(`SELECT ${column} AS k, COUNT(*) AS n FROM decisions GROUP BY ${column}`)).map(
        (r) => [String(r.k), Number(r.n)],
      ),
    );
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    totalDecisions: Number(t.total),
    workloadsMonitored: Number(t.workloads),
    appliedScalings: Number(t.applied),
    cpuActions: await counts('cpu_action'),
    memoryActions: await counts('memory_action'),
    replicaActions: await counts('replica_action'),
    averageCpuUsageMillicores: (num(t.cpu) ?? 0) * 1000,
    averageMemoryUsageBytes: (num(t.memory) ?? 0) * 2 ** 20,
    averageCpuConfidence: num(t.cpu_conf),
    averageMemoryConfidence: num(t.memory_conf),
    byOutcome: await grouped('outcome'),
    byPolicy: await grouped('policy'),
  };
}

const log: DecisionLog =
  mode === 'scan'
    ? Object.assign(Object.create(store.decisions) as DecisionLog, {
        stats: () => scanStats(store.sql),
      })
    : store.decisions;
process.stdout.write(`LISTENING ${await listenBenchApp(clock, store, log)}\n`);
