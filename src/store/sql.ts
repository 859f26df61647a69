/**
 * One query layer over SQLite (@libsql/client, a file under ./data) and PostgreSQL (pg): SQL is
 * written once with `?` placeholders and the few dialect differences are named here, so that
 * the stores above never branch on the database.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createClient, type Client, type InValue } from '@libsql/client';
import pg from 'pg';
import { QpError } from '../core/errors.js';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs one statement; resolves once the database has it (committed). */
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs statements in one transaction; the rows each returned, in order. */
  transaction(
    statements: readonly { sql: string; params?: readonly SqlValue[] }[],
  ): Promise<Row[][]>;
  /**
   * Runs `fn` while no other qpilot migrates the same database: two replicas starting at once
   * against one PostgreSQL would otherwise both try to create the tables.
   */
  exclusively<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Codes of a database that is down, unreachable, full or busy: the caller may retry later. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
]);

/**
 * A database that cannot serve now becomes QP_ERR_UNAVAILABLE (a 503 that says so); anything
 * else (a bad query: a bug) stays as it is and is logged as one.
 */
export function storeError(err: unknown): unknown {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : code;
  // PostgreSQL's connection-exception (08…), operator-intervention (57…) and resource (53…) classes.
  const unavailable =
    UNAVAILABLE_CODES.has(code) ||
    /^(08|57|53)/.test(code) ||
    /Connection terminated|connect ECONNREFUSED|Client was closed|Query read timeout|timeout exceeded when trying to connect/i.test(
      message,
    );
  if (!unavailable) return err;
  return new QpError(
    'QP_ERR_UNAVAILABLE',
    `the decision store cannot be reached: ${message}`,
    { code },
    { cause: err },
  );
}

async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw storeError(err);
  }
}

/** `?` to `$1, $2, …`, outside quoted strings. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let quoted = false;
  let out = '';
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}

/**
 * Codes after which a SQLite connection stays broken although the file recovers: a database
 * SQLite could open only read-only (permissions, a read-only mount) remains read-only for that
 * connection, whatever happens to the file. The next call opens a fresh connection.
 */
const REOPEN_CODES = new Set(['SQLITE_READONLY', 'SQLITE_CANTOPEN']);

async function connectSqlite(file: string): Promise<Client> {
  const client = createClient({ url: `file:${file}` });
  // WAL with synchronous=FULL: a committed row survives a crash of the process and of the machine.
  await client.execute('PRAGMA journal_mode=WAL');
  await client.execute('PRAGMA synchronous=FULL');
  await client.execute('PRAGMA busy_timeout=5000');
  return client;
}

class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  private stale = false;
  constructor(
    private client: Client,
    private readonly file: string,
  ) {}

  /** Runs `call` on a connection that is not known to be stuck; marks it stuck if it is. */
  private async run<T>(call: (client: Client) => Promise<T>): Promise<T> {
    return guarded(async () => {
      if (this.stale) {
        const fresh = await connectSqlite(this.file);
        this.client.close();
        this.client = fresh;
        this.stale = false;
      }
      try {
        return await call(this.client);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && REOPEN_CODES.has(code)) this.stale = true;
        throw err;
      }
    });
  }

  async all<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const rs = await this.run((c) => c.execute({ sql, args: params as InValue[] }));
    return rs.rows as unknown as T[];
  }

  async transaction(statements: readonly { sql: string; params?: readonly SqlValue[] }[]) {
    const results = await this.run((c) =>
      c.batch(
        statements.map((s) => ({ sql: s.sql, args: (s.params ?? []) as InValue[] })),
        'write',
      ),
    );
    return results.map((r) => r.rows as unknown as Row[]);
  }

  /** SQLite locks the file itself while a migration's transaction writes. */
  exclusively<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }
}

/** The advisory lock key of qpilot's migrations ("qpilot" in ASCII). */
const MIGRATION_LOCK = 0x71_70_69_6c_6f_74;

class PostgresSql implements Sql {
  readonly dialect = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  async all<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const rs = await guarded(() => this.pool.query(numberPlaceholders(sql), params as unknown[]));
    return rs.rows as T[];
  }

  async transaction(statements: readonly { sql: string; params?: readonly SqlValue[] }[]) {
    const client = await guarded(() => this.pool.connect());
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const rows: Row[][] = [];
      for (const s of statements)
        rows.push(
          (await client.query(numberPlaceholders(s.sql), (s.params ?? []) as unknown[]))
            .rows as Row[],
        );
      await client.query('COMMIT');
      return rows;
    } catch (err) {
      const failure = storeError(err);
      // A connection that timed out or broke is thrown away, not rolled back: on a server that
      // stopped answering the ROLLBACK would wait as long again.
      if (isUnavailable(failure)) broken = failure as Error;
      else await client.query('ROLLBACK').catch(() => undefined);
      throw failure;
    } finally {
      client.release(broken);
    }
  }

  async exclusively<T>(fn: () => Promise<T>): Promise<T> {
    const client = await guarded(() => this.pool.connect());
    try {
      // A session lock on a connection of its own, held while `fn` works through the pool.
      await guarded(() => client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]));
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** SQLite in `file`, with the durability settings qpilot needs. */
export async function openSqlite(file: string): Promise<Sql> {
  mkdirSync(dirname(file), { recursive: true });
  return new SqliteSql(await connectSqlite(file), file);
}

const isUnavailable = (err: unknown) => err instanceof QpError && err.code === 'QP_ERR_UNAVAILABLE';

/** How long a store call may take before it is a 503: connecting, waiting for a connection, a statement. */
export const DEFAULT_STORE_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL behind a pool whose every wait is bounded: a server that stopped answering (a
 * partition, SIGSTOP) makes calls fail with a 503 after `timeoutMs`, never hang the API, and
 * the connections it held are thrown away so that the pool reconnects when it is back.
 */
export async function openPostgres(
  url: string,
  timeoutMs: number = DEFAULT_STORE_TIMEOUT_MS,
): Promise<Sql> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    keepAlive: true,
  });
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const sql = new PostgresSql(pool);
  await sql.all('SELECT 1');
  return sql;
}
