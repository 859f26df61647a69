/**
 * One query layer over SQLite (@libsql/client, a file under ./data) and PostgreSQL (pg): SQL is
 * written once with `?` placeholders and the few dialect differences are named here, so that
 * the stores above never branch on the database.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createClient, type Client, type InValue } from '@libsql/client';
import pg from 'pg';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs one statement; resolves once the database has it (committed). */
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs statements in one transaction. */
  transaction(statements: readonly { sql: string; params?: readonly SqlValue[] }[]): Promise<void>;
  close(): Promise<void>;
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

class SqliteSql implements Sql {
  readonly dialect = 'sqlite' as const;
  constructor(private readonly client: Client) {}

  async all<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const rs = await this.client.execute({ sql, args: params as InValue[] });
    return rs.rows as unknown as T[];
  }

  async transaction(statements: readonly { sql: string; params?: readonly SqlValue[] }[]) {
    await this.client.batch(
      statements.map((s) => ({ sql: s.sql, args: (s.params ?? []) as InValue[] })),
      'write',
    );
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }
}

class PostgresSql implements Sql {
  readonly dialect = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  async all<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    const rs = await this.pool.query(numberPlaceholders(sql), params as unknown[]);
    return rs.rows as T[];
  }

  async transaction(statements: readonly { sql: string; params?: readonly SqlValue[] }[]) {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      for (const s of statements)
        await client.query(numberPlaceholders(s.sql), (s.params ?? []) as unknown[]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
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
  const client = createClient({ url: `file:${file}` });
  // WAL with synchronous=FULL: a committed row survives a crash of the process and of the machine.
  await client.execute('PRAGMA journal_mode=WAL');
  await client.execute('PRAGMA synchronous=FULL');
  await client.execute('PRAGMA busy_timeout=5000');
  return new SqliteSql(client);
}

export async function openPostgres(url: string): Promise<Sql> {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const sql = new PostgresSql(pool);
  await sql.all('SELECT 1');
  return sql;
}
