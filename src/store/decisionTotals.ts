/**
 * Seed 002's statistics kept as running totals beside the decision log, so that
 * `GET /statistics` and `POST /scale/all` read a few dozen rows instead of scanning every
 * decision ever made (195 ms at 100,000 decisions, on SQLite's thread: the event loop's).
 * Triggers keep them: whatever writes, settles or prunes decisions, in the same transaction,
 * so they can never drift from the log. One row per combination of the columns the
 * statistics group by (a few dozen at most), and one per workload for the distinct count.
 */
import { type DecisionStats, statsFromGroups } from './decisionStats.js';
import type { Statement } from './migrations.js';
import type { Sql } from './sql.js';

const SUMS = {
  n: '1',
  cpu_sum: '%R.cpu_usage_cores',
  memory_sum: '%R.memory_usage_mb',
  cpu_conf_sum: 'COALESCE(%R.cpu_confidence, 0)',
  cpu_conf_n: 'CASE WHEN %R.cpu_confidence IS NULL THEN 0 ELSE 1 END',
  memory_conf_sum: 'COALESCE(%R.memory_confidence, 0)',
  memory_conf_n: 'CASE WHEN %R.memory_confidence IS NULL THEN 0 ELSE 1 END',
} as const;
const SUM_COLUMNS = Object.keys(SUMS);

/**
 * The SQL that keeps the totals. Migration 3 counted the whole log; migration 7 counts each
 * cluster apart (ADR 17). Both are generated here, and migration 3's text must not change, so
 * the cluster is a parameter rather than an edit.
 */
function totalsSql(byCluster: boolean) {
  const c = byCluster ? 'cluster, ' : '';
  const rc = (r: string) => (byCluster ? `${r}.cluster, ` : '');
  /** The key of a totals row; a missing action is '' so that it can be part of a primary key. */
  const key = `${c}policy, kind, outcome, cpu_action, memory_action, replica_action`;
  const keyValues = (r: string) =>
    `${rc(r)}${r}.policy, ${r}.kind, ${r}.outcome, COALESCE(${r}.cpu_action, ''), COALESCE(${r}.memory_action, ''), COALESCE(${r}.replica_action, '')`;
  const keyMatches = (r: string) =>
    `${byCluster ? `cluster = ${r}.cluster AND ` : ''}policy = ${r}.policy AND kind = ${r}.kind AND outcome = ${r}.outcome AND cpu_action = COALESCE(${r}.cpu_action, '') AND memory_action = COALESCE(${r}.memory_action, '') AND replica_action = COALESCE(${r}.replica_action, '')`;
  const workloadKey = `${c}namespace, workload`;

  /** Adds a row's figures to its totals. */
  const add = (r: string): string[] => [
    `INSERT INTO decision_totals (${key}, ${SUM_COLUMNS.join(', ')})
     VALUES (${keyValues(r)}, ${Object.values(SUMS)
       .map((v) => v.replaceAll('%R', r))
       .join(', ')})
     ON CONFLICT (${key}) DO UPDATE SET ${SUM_COLUMNS.map((c) => `${c} = decision_totals.${c} + excluded.${c}`).join(', ')}`,
    `INSERT INTO decision_workloads (${workloadKey}, n) VALUES (${rc(r)}${r}.namespace, ${r}.workload, 1)
     ON CONFLICT (${workloadKey}) DO UPDATE SET n = decision_workloads.n + 1`,
  ];

  /** Takes a row's figures away from its totals. */
  const remove = (r: string): string[] => [
    `UPDATE decision_totals SET ${Object.entries(SUMS)
      .map(([c, v]) => `${c} = ${c} - ${v.replaceAll('%R', r)}`)
      .join(', ')} WHERE ${keyMatches(r)}`,
    `UPDATE decision_workloads SET n = n - 1 WHERE ${byCluster ? `cluster = ${r}.cluster AND ` : ''}namespace = ${r}.namespace AND workload = ${r}.workload`,
  ];

  const postgresFunction = `CREATE ${byCluster ? 'OR REPLACE ' : ''}FUNCTION decision_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
    ${remove('OLD')
      .map((s) => `${s};`)
      .join('\n    ')}
  END IF;
  IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
    ${add('NEW')
      .map((s) => `${s};`)
      .join('\n    ')}
  END IF;
  RETURN NULL;
END $$`;

  const updated = `${key.replace('cluster, ', '')}, namespace, workload, cpu_usage_cores, memory_usage_mb, cpu_confidence, memory_confidence`;
  return {
    tables: [
      `CREATE TABLE decision_totals (
      ${byCluster ? 'cluster TEXT NOT NULL,\n      ' : ''}policy TEXT NOT NULL,
      kind TEXT NOT NULL,
      outcome TEXT NOT NULL,
      cpu_action TEXT NOT NULL,
      memory_action TEXT NOT NULL,
      replica_action TEXT NOT NULL,
      n BIGINT NOT NULL,
      cpu_sum DOUBLE PRECISION NOT NULL,
      memory_sum DOUBLE PRECISION NOT NULL,
      cpu_conf_sum DOUBLE PRECISION NOT NULL,
      cpu_conf_n BIGINT NOT NULL,
      memory_conf_sum DOUBLE PRECISION NOT NULL,
      memory_conf_n BIGINT NOT NULL,
      PRIMARY KEY (${key})
    )`,
      `CREATE TABLE decision_workloads (
      ${byCluster ? 'cluster TEXT NOT NULL,\n      ' : ''}namespace TEXT NOT NULL,
      workload TEXT NOT NULL,
      n BIGINT NOT NULL,
      PRIMARY KEY (${workloadKey})
    )`,
      // What the log holds already, counted once.
      `INSERT INTO decision_totals (${key}, ${SUM_COLUMNS.join(', ')})
     SELECT ${keyValues('d')}, COUNT(*), SUM(d.cpu_usage_cores), SUM(d.memory_usage_mb),
       SUM(COALESCE(d.cpu_confidence, 0)), COUNT(d.cpu_confidence),
       SUM(COALESCE(d.memory_confidence, 0)), COUNT(d.memory_confidence)
     FROM decisions d GROUP BY ${keyValues('d')}`,
      `INSERT INTO decision_workloads (${workloadKey}, n)
     SELECT ${workloadKey}, COUNT(*) FROM decisions GROUP BY ${workloadKey}`,
    ] as Statement[],
    triggers: [
      {
        sqlite: sqliteTrigger('decisions_totals_insert', 'INSERT', add('NEW')),
        postgres: postgresFunction,
      },
      {
        sqlite: sqliteTrigger('decisions_totals_delete', 'DELETE', remove('OLD')),
        // Migration 7 replaces the function the trigger calls; the trigger itself stays.
        postgres: byCluster
          ? noop
          : `CREATE TRIGGER decisions_totals AFTER INSERT OR DELETE OR UPDATE OF ${updated} ON decisions FOR EACH ROW EXECUTE FUNCTION decision_totals_apply()`,
      },
      {
        sqlite: sqliteTrigger('decisions_totals_update', `UPDATE OF ${updated}`, [
          ...remove('OLD'),
          ...add('NEW'),
        ]),
        postgres: noop,
      },
    ] as Statement[],
  };
}

const sqliteTrigger = (name: string, event: string, body: string[]) =>
  `CREATE TRIGGER ${name} AFTER ${event} ON decisions BEGIN ${body.map((s) => `${s};`).join(' ')} END`;

const noop = 'SELECT 1';

const WHOLE_LOG = totalsSql(false);
const BY_CLUSTER = totalsSql(true);

export const DECISION_TOTALS_MIGRATION: {
  version: number;
  name: string;
  up: readonly Statement[];
} = {
  version: 3,
  name: 'statistics as running totals',
  up: [...WHOLE_LOG.tables, ...WHOLE_LOG.triggers],
};

/**
 * Migration 7: every decision belongs to a cluster ('' is the home cluster, the one `qpilot
 * serve` was started with), and the totals are kept per cluster, rebuilt from the log.
 */
export const DECISION_CLUSTERS_MIGRATION: {
  version: number;
  name: string;
  up: readonly Statement[];
} = {
  version: 7,
  name: 'decisions kept per cluster',
  up: [
    "ALTER TABLE decisions ADD COLUMN cluster TEXT NOT NULL DEFAULT ''",
    'CREATE INDEX decisions_cluster ON decisions (cluster, id)',
    {
      sqlite: 'DROP TRIGGER decisions_totals_insert',
      postgres: 'DROP TRIGGER decisions_totals ON decisions',
    },
    { sqlite: 'DROP TRIGGER decisions_totals_delete', postgres: noop },
    { sqlite: 'DROP TRIGGER decisions_totals_update', postgres: noop },
    'DROP TABLE decision_totals',
    'DROP TABLE decision_workloads',
    ...BY_CLUSTER.tables,
    ...BY_CLUSTER.triggers,
    {
      sqlite: noop,
      postgres: `CREATE TRIGGER decisions_totals AFTER INSERT OR DELETE OR UPDATE OF cluster, policy, kind, outcome, cpu_action, memory_action, replica_action, namespace, workload, cpu_usage_cores, memory_usage_mb, cpu_confidence, memory_confidence ON decisions FOR EACH ROW EXECUTE FUNCTION decision_totals_apply()`,
    },
  ],
};

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const action = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The statistics from the totals: a handful of rows, whatever the size of the log. */
export async function statsFromTotals(sql: Sql, cluster: string): Promise<DecisionStats> {
  const rows = await sql.all(
    `SELECT policy, outcome, cpu_action, memory_action, replica_action, ${SUM_COLUMNS.join(', ')}
     FROM decision_totals WHERE n > 0 AND cluster = ?`,
    [cluster],
  );
  const [workloads] = await sql.all(
    'SELECT COUNT(*) AS n FROM decision_workloads WHERE n > 0 AND cluster = ?',
    [cluster],
  );
  return statsFromGroups(
    rows.map((r) => ({
      policy: String(r.policy),
      outcome: String(r.outcome),
      cpuAction: action(r.cpu_action),
      memoryAction: action(r.memory_action),
      replicaAction: action(r.replica_action),
      n: num(r.n),
      cpuSum: num(r.cpu_sum),
      memorySum: num(r.memory_sum),
      cpuConfSum: num(r.cpu_conf_sum),
      cpuConfN: num(r.cpu_conf_n),
      memoryConfSum: num(r.memory_conf_sum),
      memoryConfN: num(r.memory_conf_n),
    })),
    num(workloads?.n),
  );
}
