/** The store `qpilot serve` keeps its records in: PostgreSQL when a URL is given, else SQLite under the data directory. */
import { join, resolve } from 'node:path';
import { QpError } from '../core/errors.js';
import type { DecisionLog } from './decisionLog.js';
import { migrate } from './migrations.js';
import { type HubStore, SqlHubStore } from './hubStore.js';
import { type PolicyStateStore, SqlPolicyStateStore } from './policyStates.js';
import { type SampleStore, SqlSampleStore } from './sampleStore.js';
import { SqlDecisionLog } from './sqlDecisionLog.js';
import { openPostgres, openSqlite, type Sql } from './sql.js';

export interface Store {
  sql: Sql;
  decisions: DecisionLog;
  samples: SampleStore;
  policyStates: PolicyStateStore;
  /** The hub's clusters, agents and ingested batches. */
  hub: HubStore;
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
    const u = new URL(options.databaseUrl);
    description = `PostgreSQL at ${u.hostname}:${u.port || 5432}${u.pathname}`;
    try {
      sql = await openPostgres(options.databaseUrl, options.timeoutMs);
    } catch (err) {
      // Said with the store it is about, never with the URL (it may hold a password).
      const why = err instanceof Error ? err.message : String(err);
      throw new QpError(
        'QP_ERR_UNAVAILABLE',
        `${description} (DATABASE_URL) cannot be used: ${why.replace(/^the decision store cannot be reached: /, '')}`,
        {},
        { cause: err },
      );
    }
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
    hub: new SqlHubStore(sql),
    description,
    ping: async () => {
      await sql.all('SELECT 1');
    },
    close: () => sql.close(),
  };
}
