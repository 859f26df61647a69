/** Drops everything qpilot's migrations create, so that a test migrates an empty database. */
import type { Sql } from '../sql.js';

const TABLES = [
  'decision_totals',
  'decision_workloads',
  'decisions',
  'samples',
  'policy_states',
  'hub_clusters',
  'hub_agents',
  'hub_batches',
  'hub_actions',
  'schema_migrations',
];

export async function resetSchema(sql: Sql): Promise<void> {
  for (const t of TABLES) await sql.all(`DROP TABLE IF EXISTS ${t}`);
  if (sql.dialect === 'postgres') await sql.all('DROP FUNCTION IF EXISTS decision_totals_apply()');
}
