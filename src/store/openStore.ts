/** The store `qpilot serve` keeps its records in: PostgreSQL when a URL is given, else SQLite under the data directory. */
import { join, resolve } from 'node:path';
import type { DecisionLog } from './decisionLog.js';
import { migrate } from './migrations.js';
import { type PolicyStateStore, SqlPolicyStateStore } from './policyStates.js';
import { type SampleStore, SqlSampleStore } from './sampleStore.js';
import { SqlDecisionLog } from './sqlDecisionLog.js';
import { openPostgres, openSqlite, type Sql } from './sql.js';

export interface Store {
  sql: Sql;
  decisions: DecisionLog;
  samples: SampleStore;
  policyStates: PolicyStateStore;
  /** For the start-up log and the health checks, without credentials. */
  description: string;
  /** Resolves when the database answers a trivial query, within the store's timeout. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStore(options: {
  databaseUrl?: string;
  dataDir: string;
  cwd: string;
  /** When migrations are recorded as applied. */
  nowMs: number;
  /** How long a PostgreSQL call may take before it fails with a 503. */
  timeoutMs?: number;
}): Promise<Store> {
  let sql: Sql;
  let description: string;
  if (options.databaseUrl) {
    sql = await openPostgres(options.databaseUrl, options.timeoutMs);
    const u = new URL(options.databaseUrl);
    description = `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
  } else {
    const file = join(resolve(options.cwd, options.dataDir), 'qpilot.db');
    sql = await openSqlite(file);
    description = `SQLite at ${file}`;
  }
  await migrate(sql, options.nowMs);
  return {
    sql,
    decisions: new SqlDecisionLog(sql),
    samples: new SqlSampleStore(sql),
    policyStates: new SqlPolicyStateStore(sql),
    description,
    ping: async () => {
      await sql.all('SELECT 1');
    },
    close: () => sql.close(),
  };
}
