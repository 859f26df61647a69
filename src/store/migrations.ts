/**
 * The schema, as numbered migrations applied in order, each once, in a transaction. `%ID%`
 * is the dialect's auto-increment key; a statement is SQL both databases read alike, or one
 * text per dialect where they differ (triggers). A migration is never edited once released:
 * add the next one.
 */
import type { Sql } from './sql.js';
import { DECISION_CLUSTERS_MIGRATION, DECISION_TOTALS_MIGRATION } from './decisionTotals.js';
import { HUB_ACTIONS_MIGRATION, HUB_MIGRATION } from './hubStore.js';

export type Statement = string | { sqlite: string; postgres: string };

export const MIGRATIONS: readonly {
  version: number;
  name: string;
  up: readonly Statement[];
}[] = [
  {
    version: 1,
    name: 'decisions and samples',
    up: [
      `CREATE TABLE decisions (
        id %ID%,
        time_ms BIGINT NOT NULL,
        namespace TEXT NOT NULL,
        workload TEXT NOT NULL,
        pod TEXT,
        policy TEXT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        cpu_action TEXT,
        memory_action TEXT,
        replica_action TEXT,
        cpu_confidence DOUBLE PRECISION,
        memory_confidence DOUBLE PRECISION,
        cpu_usage_cores DOUBLE PRECISION NOT NULL,
        memory_usage_mb DOUBLE PRECISION NOT NULL,
        fallback INTEGER NOT NULL,
        body TEXT NOT NULL
      )`,
      'CREATE INDEX decisions_workload ON decisions (namespace, workload, id)',
      `CREATE TABLE samples (
        id %ID%,
        series TEXT NOT NULL,
        time_ms BIGINT NOT NULL,
        namespace TEXT NOT NULL,
        workload TEXT NOT NULL,
        cpu_percent DOUBLE PRECISION,
        memory_mb DOUBLE PRECISION,
        online_pods INTEGER NOT NULL,
        total_pods INTEGER NOT NULL
      )`,
      'CREATE INDEX samples_series ON samples (series, id)',
    ],
  },
  {
    version: 2,
    name: 'outcomes settled after the change, and policy history',
    up: [
      // A change is recorded as pending before it is made; its outcome is settled later.
      'ALTER TABLE decisions ADD COLUMN settled_ms BIGINT',
      'ALTER TABLE decisions ADD COLUMN outcome_message TEXT',
      // Changes in flight and each workload's last change are read at start-up and failover.
      'CREATE INDEX decisions_outcome_time ON decisions (outcome, time_ms)',
      `CREATE TABLE policy_states (
        policy TEXT NOT NULL,
        namespace TEXT NOT NULL,
        workload TEXT NOT NULL,
        state TEXT NOT NULL,
        updated_ms BIGINT NOT NULL,
        PRIMARY KEY (policy, namespace, workload)
      )`,
    ],
  },
  DECISION_TOTALS_MIGRATION,
  {
    version: 4,
    name: 'samples pruned by time',
    up: ['CREATE INDEX samples_time ON samples (time_ms)'],
  },
  HUB_MIGRATION,
  HUB_ACTIONS_MIGRATION,
  DECISION_CLUSTERS_MIGRATION,
];

const ID = { sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT', postgres: 'BIGSERIAL PRIMARY KEY' };

/** Applies the migrations the database lacks; returns the versions applied. */
export function migrate(sql: Sql, nowMs: number): Promise<number[]> {
  return sql.exclusively(() => migrateNow(sql, nowMs));
}

async function migrateNow(sql: Sql, nowMs: number): Promise<number[]> {
  await sql.all(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)',
  );
  const rows = await sql.all<{ version: number | string }>('SELECT version FROM schema_migrations');
  const have = new Set(rows.map((r) => Number(r.version)));
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (have.has(m.version)) continue;
    await sql.transaction([
      ...m.up.map((s) => ({
        sql: (typeof s === 'string' ? s : s[sql.dialect]).replaceAll('%ID%', ID[sql.dialect]),
      })),
      {
        sql: 'INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)',
        params: [m.version, m.name, nowMs],
      },
    ]);
    applied.push(m.version);
  }
  return applied;
}
