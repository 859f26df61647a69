/** The same behaviour from every DecisionLog: in memory, SQLite and a real PostgreSQL server. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../policies/types.js';
import { type DecisionLog, MemoryDecisionLog, type NewDecisionRecord } from './decisionLog.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { openStore } from './openStore.js';
import { SqlSampleStore } from './sampleStore.js';
import { numberPlaceholders, openPostgres, openSqlite, storeError } from './sql.js';
import { startPostgres, type TestPostgres } from './testing/postgres.js';

let pg: TestPostgres;
let dir: string;
beforeAll(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'qpilot-store-'));
}, 60_000);
afterAll(() => {
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function horizontal(current: number, desired: number, policy = 'dqn'): Decision {
  return {
    policy,
    kind: 'horizontal',
    namespace: 'default',
    name: 'web',
    timeMs: 1,
    replicas: { current, desired },
    qValues: { replicas: [0.1, 0.5, 0.2] },
    confidence: { replicas: 0.4 },
    canScale: current !== desired,
    explanation: { reasoning: 'load rises', factors: ['cpu_trend_increasing'] },
  };
}

function vertical(cpu: 'INCREASE' | 'MAINTAIN', conf: number): Decision {
  return {
    policy: 'dqn-vertical',
    kind: 'vertical',
    namespace: 'prod',
    name: 'api',
    timeMs: 1,
    resources: {
      cpu: { current: 0.5, new: cpu === 'INCREASE' ? 0.6 : 0.5, change_percent: 20, action: cpu },
      memory: { current: 256, new: 256, change_percent: 0, action: 'MAINTAIN' },
    },
    confidence: { cpu: conf, memory: 0.9 },
    canScale: cpu === 'INCREASE',
    explanation: { reasoning: 'r', factors: [] },
  };
}

function record(decision: Decision, outcome: NewDecisionRecord['outcome'], pod?: string) {
  return {
    timeMs: Date.UTC(2026, 0, 1),
    namespace: decision.namespace,
    workload: decision.name,
    pod,
    decision,
    outcome,
    message: `${outcome} ✓ "quoted" 'single'`,
    metrics: { cpuUsageCores: 0.2, memoryUsageMb: 100, cpuLimitCores: 0.5, memoryLimitMb: 256 },
  };
}

const stores: [string, () => Promise<DecisionLog>][] = [
  ['memory', () => Promise.resolve(new MemoryDecisionLog())],
  [
    'sqlite',
    async () =>
      (await openStore({ dataDir: join(dir, `s-${Math.random()}`), cwd: '/', nowMs: 0 })).decisions,
  ],
  [
    'postgres',
    async () => {
      const sql = await openPostgres(pg.url);
      await sql.all('DROP TABLE IF EXISTS decisions, samples, schema_migrations');
      await sql.close();
      return (await openStore({ databaseUrl: pg.url, dataDir: '', cwd: '/', nowMs: 0 })).decisions;
    },
  ],
];

describe.each(stores)('%s decision log', (_name, open) => {
  it('gives increasing ids and returns the most recent first, whole', async () => {
    const log = await open();
    const a = await log.append(record(horizontal(2, 3), 'applied', 'web-abc'));
    const b = await log.append(record(vertical('INCREASE', 0.8), 'dry_run'));
    expect(b.id).toBeGreaterThan(a.id);
    const recent = await log.recent(10);
    expect(recent.map((r) => r.id)).toEqual([b.id, a.id]);
    expect(recent[1]).toEqual(a);
    expect(recent[1]!.pod).toBe('web-abc');
    expect(recent[0]!.pod).toBeUndefined();
    expect(await log.recent(1)).toHaveLength(1);
    await log.close();
  });

  it("counts seed 002's statistics", async () => {
    const log = await open();
    await log.append(record(horizontal(2, 3), 'applied'));
    await log.append(record(horizontal(3, 3), 'no_change'));
    await log.append(record(vertical('INCREASE', 0.8), 'unverified'));
    await log.append(record(vertical('MAINTAIN', 0.6), 'dry_run'));
    const s = await log.stats();
    expect(s).toMatchObject({
      totalDecisions: 4,
      workloadsMonitored: 2,
      appliedScalings: 2,
      cpuActions: { DECREASE: 0, MAINTAIN: 1, INCREASE: 1 },
      memoryActions: { DECREASE: 0, MAINTAIN: 2, INCREASE: 0 },
      replicaActions: { DECREASE: 0, MAINTAIN: 1, INCREASE: 1 },
      byOutcome: { applied: 1, no_change: 1, unverified: 1, dry_run: 1 },
      byPolicy: { dqn: 2, 'dqn-vertical': 2 },
    });
    expect(s.averageCpuUsageCores).toBeCloseTo(0.2);
    expect(s.averageMemoryUsageMb).toBeCloseTo(100);
    expect(s.averageCpuConfidence).toBeCloseTo(0.7);
    expect(s.averageMemoryConfidence).toBeCloseTo(0.9);
    await log.close();
  });

  it('has empty statistics when empty', async () => {
    const log = await open();
    expect(await log.stats()).toMatchObject({
      totalDecisions: 0,
      appliedScalings: 0,
      averageCpuUsageCores: null,
    });
    await log.close();
  });
});

describe('migrations and the query layer', () => {
  it('applies each migration once, on SQLite and PostgreSQL', async () => {
    for (const sql of [await openSqlite(join(dir, 'm.db')), await openPostgres(pg.url)]) {
      for (const t of ['decisions', 'samples', 'schema_migrations'])
        await sql.all(`DROP TABLE IF EXISTS ${t}`);
      expect(await migrate(sql, 0)).toEqual(MIGRATIONS.map((m) => m.version));
      expect(await migrate(sql, 0)).toEqual([]);
      await sql.close();
    }
  });

  it('keeps sample series apart, in order', async () => {
    const store = await openStore({ dataDir: join(dir, 'samples'), cwd: '/', nowMs: 0 });
    const samples = new SqlSampleStore(store.sql);
    const s = (t: number) => ({
      timeMs: t,
      namespace: 'default',
      workload: 'web',
      cpuPercent: t / 10,
      memoryMb: null,
      onlinePods: 2,
      totalPods: 3,
    });
    await samples.append('a', [s(1), s(2)]);
    await samples.append('b', [s(3)]);
    expect(await samples.series('a')).toEqual([s(1), s(2)]);
    expect(await samples.series('b')).toEqual([s(3)]);
    expect(await samples.series('none')).toEqual([]);
    await store.sql.close();
  });

  it('numbers placeholders outside quoted strings', () => {
    expect(numberPlaceholders("SELECT ? , '?' , ?")).toBe("SELECT $1 , '?' , $2");
  });
});

describe('a database that goes away', () => {
  it('answers QP_ERR_UNAVAILABLE (a 503), not a crash', async () => {
    const own = await startPostgres();
    try {
      const store = await openStore({ databaseUrl: own.url, dataDir: '', cwd: '/', nowMs: 0 });
      await store.decisions.append(record(horizontal(1, 2), 'applied'));
      own.stop();
      await expect(store.decisions.recent(5)).rejects.toMatchObject({
        code: 'QP_ERR_UNAVAILABLE',
        message: expect.stringContaining('the decision store cannot be reached') as unknown,
      });
      await expect(
        store.decisions.append(record(horizontal(1, 2), 'applied')),
      ).rejects.toMatchObject({ code: 'QP_ERR_UNAVAILABLE' });
      await store.decisions.close();
    } finally {
      own.stop();
    }
  }, 60_000);

  it('leaves a bad query alone: that is a bug, not an outage', () => {
    const err = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(storeError(err)).toBe(err);
  });
});
