/** The same behaviour from every DecisionLog: in memory, SQLite and a real PostgreSQL server. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision } from '../core/decision.js';
import { type DecisionLog, MemoryDecisionLog, type NewDecisionRecord } from './decisionLog.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { openStore } from './openStore.js';
import { SqlSampleStore } from './sampleStore.js';
import { numberPlaceholders, openPostgres, openSqlite, storeError } from './sql.js';
import { resetSchema } from './testing/resetSchema.js';
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

const MiB = 2 ** 20;

function vertical(cpu: 'INCREASE' | 'MAINTAIN', conf: number): Decision {
  const desired = cpu === 'INCREASE' ? 600 : 500;
  return {
    policy: 'dqn-vertical',
    kind: 'vertical',
    namespace: 'prod',
    name: 'api',
    timeMs: 1,
    cpuMillicores: { current: 500, desired },
    memoryBytes: { current: 256 * MiB, desired: 256 * MiB },
    containers: [
      { name: 'app', requests: { cpuMillicores: desired, memoryBytes: 256 * MiB }, limits: {} },
    ],
    templateFallback: true,
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
    metrics: {
      cpuUsageMillicores: 200,
      memoryUsageBytes: 100 * MiB,
      cpuLimitMillicores: 500,
      memoryLimitBytes: 256 * MiB,
    },
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
      await resetSchema(sql);
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
    expect(s.averageCpuUsageMillicores).toBeCloseTo(200);
    expect(s.averageMemoryUsageBytes! / MiB).toBeCloseTo(100);
    expect(s.averageCpuConfidence).toBeCloseTo(0.7);
    expect(s.averageMemoryConfidence).toBeCloseTo(0.9);
    await log.close();
  });

  it('settles an outcome after the record, and finds the changes still open', async () => {
    const log = await open();
    const pending = await log.append(record(horizontal(2, 3), 'pending'));
    const quiet = await log.appendMany([
      record(horizontal(3, 3), 'no_change'),
      record(vertical('MAINTAIN', 0.5), 'dry_run'),
    ]);
    expect(quiet.map((r) => r.id)).toEqual([pending.id + 1, pending.id + 2]);
    expect((await log.unsettled()).map((r) => r.id)).toEqual([pending.id]);
    await log.settle(pending.id, 'in_progress', 'scaled web from 2 to 3; verifying', 5);
    expect(await log.get(pending.id)).toMatchObject({
      outcome: 'in_progress',
      message: 'scaled web from 2 to 3; verifying',
      settledMs: 5,
    });
    expect((await log.unsettled()).map((r) => r.outcome)).toEqual(['in_progress']);
    await log.settle(pending.id, 'applied', 'done after 31 s', 9);
    expect(await log.unsettled()).toEqual([]);
    expect(await log.get(pending.id + 99)).toBeUndefined();
    expect((await log.stats()).appliedScalings).toBe(1);
    await log.close();
  });

  it('knows each workload’s last change, and forgets a refused request', async () => {
    const log = await open();
    const t0 = Date.UTC(2026, 0, 1);
    await log.append({ ...record(horizontal(2, 3), 'applied'), timeMs: t0 });
    await log.append({ ...record(horizontal(3, 4), 'dry_run'), timeMs: t0 + 10 });
    await log.append({ ...record(vertical('INCREASE', 0.5), 'in_progress'), timeMs: t0 + 20 });
    expect(await log.lastChanges(t0)).toEqual(
      new Map([
        ['default/web', t0],
        ['prod/api', t0 + 20],
      ]),
    );
    expect(await log.lastChanges(t0 + 1)).toEqual(new Map([['prod/api', t0 + 20]]));
    const refused = await log.append(record(horizontal(4, 5, 'manual'), 'pending'));
    await log.discard(refused.id);
    expect(await log.get(refused.id)).toBeUndefined();
    await log.close();
  });

  it("keeps each cluster's records apart, and a cluster's view closes nothing", async () => {
    const home = await open();
    const east = home.forCluster('east');
    const mine = await home.append(record(horizontal(2, 3), 'pending'));
    const theirs = await east.append(record(horizontal(5, 6), 'in_progress'));
    await east.append(record(vertical('INCREASE', 0.5), 'applied'));
    expect((await home.recent(10)).map((r) => r.id)).toEqual([mine.id]);
    expect((await east.recent(10)).map((r) => r.decision.kind)).toEqual(['vertical', 'horizontal']);
    expect(await home.get(theirs.id)).toBeUndefined();
    expect(await east.get(theirs.id)).toMatchObject({ outcome: 'in_progress' });
    expect((await home.unsettled()).map((r) => r.id)).toEqual([mine.id]);
    expect((await east.unsettled()).map((r) => r.id)).toEqual([theirs.id]);
    expect([...(await east.lastChanges(0)).keys()].sort()).toEqual(['default/web', 'prod/api']);
    expect((await home.stats()).totalDecisions).toBe(1);
    expect((await east.stats()).totalDecisions).toBe(2);
    // Another cluster's record is not this view's to settle or discard.
    await home.settle(theirs.id, 'failed', 'no', 9);
    await home.discard(theirs.id);
    expect(await east.get(theirs.id)).toMatchObject({ outcome: 'in_progress' });
    await east.close();
    expect(await home.recent(10)).toHaveLength(1);
    await home.close();
  });

  it('has empty statistics when empty', async () => {
    const log = await open();
    expect(await log.stats()).toMatchObject({
      totalDecisions: 0,
      appliedScalings: 0,
      averageCpuUsageMillicores: null,
    });
    await log.close();
  });
});

describe('records written before domain units', () => {
  it('reads a decision of migration 1 as today’s, in millicores and bytes', async () => {
    const store = await openStore({ dataDir: join(dir, 'legacy'), cwd: '/', nowMs: 0 });
    const old = {
      decision: {
        policy: 'dqn-vertical',
        kind: 'vertical',
        namespace: 'prod',
        name: 'api',
        timeMs: 1,
        resources: {
          cpu: { current: 0.5, new: 0.6, change_percent: 20, action: 'INCREASE' },
          memory: { current: 256, new: 256, change_percent: 0, action: 'MAINTAIN' },
        },
        predictions: { nextStepCpuCores: 0.18, nextStepMemoryMb: 250 },
        canScale: true,
        explanation: { reasoning: 'r', factors: [] },
      },
      message: 'dry run: would set api to 0.6 cores',
      metrics: { cpuUsageCores: 0.2, memoryUsageMb: 100, cpuLimitCores: 0.5, memoryLimitMb: 256 },
    };
    await store.sql.all(
      `INSERT INTO decisions (time_ms, namespace, workload, policy, kind, outcome, cpu_usage_cores,
         memory_usage_mb, fallback, body) VALUES (1, 'prod', 'api', 'dqn-vertical', 'vertical', 'dry_run', 0.2, 100, 0, ?)`,
      [JSON.stringify(old)],
    );
    const [r] = await store.decisions.recent(1);
    expect(r!.decision).toMatchObject({
      kind: 'vertical',
      cpuMillicores: { current: 500, desired: 600 },
      memoryBytes: { current: 256 * MiB, desired: 256 * MiB },
      predictions: { nextStepCpuMillicores: 180, nextStepMemoryBytes: 250 * MiB },
    });
    expect(r!.metrics).toEqual({
      cpuUsageMillicores: 200,
      memoryUsageBytes: 100 * MiB,
      cpuLimitMillicores: 500,
      memoryLimitBytes: 256 * MiB,
    });
    await store.sql.close();
  });
});

describe('policy history', () => {
  it('keeps the latest state of each policy and workload, on SQLite and PostgreSQL', async () => {
    const sqlite = await openStore({ dataDir: join(dir, 'states'), cwd: '/', nowMs: 0 });
    const sql = await openPostgres(pg.url);
    await resetSchema(sql);
    await sql.close();
    const postgres = await openStore({ databaseUrl: pg.url, dataDir: '', cwd: '/', nowMs: 0 });
    for (const store of [sqlite, postgres]) {
      const s = store.policyStates;
      await s.save(
        [
          { policy: 'hpa', namespace: 'default', workload: 'web', state: { recommendations: [1] } },
          { policy: 'dqn', namespace: 'default', workload: 'web', state: { demand: [0.5] } },
        ],
        100,
      );
      await s.save(
        [{ policy: 'hpa', namespace: 'default', workload: 'web', state: { recommendations: [2] } }],
        200,
      );
      const all = await s.load(0);
      expect(all.sort((a, b) => (a.policy < b.policy ? -1 : 1))).toEqual([
        { policy: 'dqn', namespace: 'default', workload: 'web', state: { demand: [0.5] } },
        { policy: 'hpa', namespace: 'default', workload: 'web', state: { recommendations: [2] } },
      ]);
      expect((await s.load(150)).map((x) => x.policy)).toEqual(['hpa']);
      await store.sql.close();
    }
  });
});

describe('migrations and the query layer', () => {
  it('applies each migration once, on SQLite and PostgreSQL', async () => {
    for (const sql of [await openSqlite(join(dir, 'm.db')), await openPostgres(pg.url)]) {
      await resetSchema(sql);
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

  it('names the store and DATABASE_URL when it cannot be opened, never the password', async () => {
    const url = 'postgres://qpilot:s3cret@127.0.0.1:1/qpilot';
    let said = '';
    try {
      await openStore({ databaseUrl: url, dataDir: '', cwd: '/', nowMs: 0, timeoutMs: 1000 });
    } catch (err) {
      said = (err as Error).message;
    }
    expect(said).toMatch(/^PostgreSQL at 127\.0\.0\.1:1\/qpilot \(DATABASE_URL\) cannot be used: /);
    expect(said).not.toContain('s3cret');
  });

  it('leaves a bad query alone: that is a bug, not an outage', () => {
    const err = Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' });
    expect(storeError(err)).toBe(err);
  });
});
