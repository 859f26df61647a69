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

/** The key of a totals row; a missing action is '' so that it can be part of a primary key. */
const KEY = 'policy, kind, outcome, cpu_action, memory_action, replica_action';

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

const keyValues = (r: string) =>
  `${r}.policy, ${r}.kind, ${r}.outcome, COALESCE(${r}.cpu_action, ''), COALESCE(${r}.memory_action, ''), COALESCE(${r}.replica_action, '')`;
const keyMatches = (r: string) =>
  `policy = ${r}.policy AND kind = ${r}.kind AND outcome = ${r}.outcome AND cpu_action = COALESCE(${r}.cpu_action, '') AND memory_action = COALESCE(${r}.memory_action, '') AND replica_action = COALESCE(${r}.replica_action, '')`;

/** Adds a row's figures to its totals. */
function add(r: string): string[] {
  return [
    `INSERT INTO decision_totals (${KEY}, ${SUM_COLUMNS.join(', ')})
     VALUES (${keyValues(r)}, ${Object.values(SUMS)
       .map((v) => v.replaceAll('%R', r))
       .join(', ')})
     ON CONFLICT (${KEY}) DO UPDATE SET ${SUM_COLUMNS.map((c) => `${c} = decision_totals.${c} + excluded.${c}`).join(', ')}`,
    `INSERT INTO decision_workloads (namespace, workload, n) VALUES (${r}.namespace, ${r}.workload, 1)
     ON CONFLICT (namespace, workload) DO UPDATE SET n = decision_workloads.n + 1`,
  ];
}

/** Takes a row's figures away from its totals. */
function remove(r: string): string[] {
  return [
    `UPDATE decision_totals SET ${Object.entries(SUMS)
      .map(([c, v]) => `${c} = ${c} - ${v.replaceAll('%R', r)}`)
      .join(', ')} WHERE ${keyMatches(r)}`,
    `UPDATE decision_workloads SET n = n - 1 WHERE namespace = ${r}.namespace AND workload = ${r}.workload`,
  ];
}

const sqliteTrigger = (name: string, event: string, body: string[]) =>
  `CREATE TRIGGER ${name} AFTER ${event} ON decisions BEGIN ${body.map((s) => `${s};`).join(' ')} END`;

const postgresFunction = `CREATE FUNCTION decision_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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

const noop = 'SELECT 1';

export const DECISION_TOTALS_MIGRATION: {
  version: number;
  name: string;
  up: readonly Statement[];
} = {
  version: 3,
  name: 'statistics as running totals',
  up: [
    `CREATE TABLE decision_totals (
      policy TEXT NOT NULL,
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
      PRIMARY KEY (${KEY})
    )`,
    `CREATE TABLE decision_workloads (
      namespace TEXT NOT NULL,
      workload TEXT NOT NULL,
      n BIGINT NOT NULL,
      PRIMARY KEY (namespace, workload)
    )`,
    // What the log holds already, counted once.
    `INSERT INTO decision_totals (${KEY}, ${SUM_COLUMNS.join(', ')})
     SELECT ${keyValues('d')}, COUNT(*), SUM(d.cpu_usage_cores), SUM(d.memory_usage_mb),
       SUM(COALESCE(d.cpu_confidence, 0)), COUNT(d.cpu_confidence),
       SUM(COALESCE(d.memory_confidence, 0)), COUNT(d.memory_confidence)
     FROM decisions d GROUP BY ${keyValues('d')}`,
    `INSERT INTO decision_workloads (namespace, workload, n)
     SELECT namespace, workload, COUNT(*) FROM decisions GROUP BY namespace, workload`,
    {
      sqlite: sqliteTrigger('decisions_totals_insert', 'INSERT', add('NEW')),
      postgres: postgresFunction,
    },
    {
      sqlite: sqliteTrigger('decisions_totals_delete', 'DELETE', remove('OLD')),
      postgres: `CREATE TRIGGER decisions_totals AFTER INSERT OR DELETE OR UPDATE OF ${KEY}, namespace, workload, cpu_usage_cores, memory_usage_mb, cpu_confidence, memory_confidence ON decisions FOR EACH ROW EXECUTE FUNCTION decision_totals_apply()`,
    },
    {
      sqlite: sqliteTrigger(
        'decisions_totals_update',
        `UPDATE OF ${KEY}, namespace, workload, cpu_usage_cores, memory_usage_mb, cpu_confidence, memory_confidence`,
        [...remove('OLD'), ...add('NEW')],
      ),
      postgres: noop,
    },
  ],
};

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const action = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** The statistics from the totals: a handful of rows, whatever the size of the log. */
export async function statsFromTotals(sql: Sql): Promise<DecisionStats> {
  const rows = await sql.all(
    `SELECT ${KEY}, ${SUM_COLUMNS.join(', ')} FROM decision_totals WHERE n > 0`,
  );
  const [workloads] = await sql.all('SELECT COUNT(*) AS n FROM decision_workloads WHERE n > 0');
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
