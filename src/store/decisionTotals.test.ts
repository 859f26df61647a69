/**
 * The running totals against the plain count: any sequence of appends, settles, discards and
 * prunes leaves SQLite's and PostgreSQL's statistics equal to the in-memory log's, which
 * counts the records it holds one by one — for each cluster apart (ADR 17), whichever
 * cluster's view an operation goes through.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decision, DecisionOutcome } from '../core/decision.js';
import { type DecisionLog, MemoryDecisionLog, type NewDecisionRecord } from './decisionLog.js';
import type { DecisionStats } from './decisionStats.js';
import { openStore, type Store } from './openStore.js';
import { openPostgres } from './sql.js';
import { resetSchema } from './testing/resetSchema.js';
import { startPostgres, type TestPostgres } from './testing/postgres.js';

let pg: TestPostgres;
let dir: string;
beforeAll(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'qpilot-totals-'));
}, 60_000);
afterAll(() => {
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const OUTCOMES: DecisionOutcome[] = ['pending', 'in_progress', 'applied', 'unverified', 'failed']
  .concat(['superseded', 'dry_run', 'recommend', 'no_change', 'cooldown'])
  .map((o) => o as DecisionOutcome);

const decisionArb: fc.Arbitrary<Decision> = fc.oneof(
  fc
    .record({
      policy: fc.constantFrom('dqn', 'hpa', 'manual'),
      name: fc.constantFrom('web', 'api', 'db'),
      current: fc.integer({ min: 1, max: 5 }),
      desired: fc.integer({ min: 1, max: 5 }),
      confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    })
    .map((d): Decision => ({
      policy: d.policy,
      kind: 'horizontal',
      namespace: 'default',
      name: d.name,
      timeMs: 1,
      replicas: { current: d.current, desired: d.desired },
      ...(d.confidence === undefined ? {} : { confidence: { replicas: d.confidence } }),
      canScale: d.current !== d.desired,
      explanation: { reasoning: 'r', factors: [] },
    })),
  fc
    .record({
      cpu: fc.constantFrom(400, 500, 600),
      memory: fc.constantFrom(128, 256, 512),
      cpuConfidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    })
    .map((d): Decision => ({
      policy: 'dqn-vertical',
      kind: 'vertical',
      namespace: 'prod',
      name: 'api',
      timeMs: 1,
      cpuMillicores: { current: 500, desired: d.cpu },
      memoryBytes: { current: 256 * 2 ** 20, desired: d.memory * 2 ** 20 },
      containers: [],
      templateFallback: true,
      ...(d.cpuConfidence === undefined
        ? {}
        : { confidence: { cpu: d.cpuConfidence, memory: 0.5 } }),
      canScale: true,
      explanation: { reasoning: 'r', factors: [] },
    })),
);

/** The home cluster and another one; an operation goes through one cluster's view. */
const CLUSTERS = ['', 'east'];
const viaArb = fc.constantFrom(...CLUSTERS);

type Op =
  | {
      op: 'append';
      via: string;
      decision: Decision;
      outcome: DecisionOutcome;
      timeMs: number;
      cpu: number;
    }
  | { op: 'settle'; via: string; index: number; outcome: DecisionOutcome }
  | { op: 'discard'; via: string; index: number }
  | { op: 'prune'; beforeMs: number; keep: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      via: viaArb,
      decision: decisionArb,
      outcome: fc.constantFrom(...OUTCOMES),
      timeMs: fc.integer({ min: 0, max: 1000 }),
      cpu: fc.integer({ min: 0, max: 2000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('settle' as const),
      via: viaArb,
      index: fc.nat(),
      outcome: fc.constantFrom(...OUTCOMES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('discard' as const), via: viaArb, index: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('prune' as const),
      beforeMs: fc.integer({ min: 0, max: 500 }),
      keep: fc.integer({ min: 0, max: 30 }),
    }),
  },
);

function record(o: Extract<Op, { op: 'append' }>): NewDecisionRecord {
  return {
    timeMs: o.timeMs,
    namespace: o.decision.namespace,
    workload: o.decision.name,
    decision: o.decision,
    outcome: o.outcome,
    message: 'm',
    metrics: {
      cpuUsageMillicores: o.cpu,
      memoryUsageBytes: 100 * 2 ** 20,
      cpuLimitMillicores: 500,
      memoryLimitBytes: 256 * 2 ** 20,
    },
  };
}

/** Applies the same operations to both logs; ids differ between them, so they go by position. */
async function apply(ops: Op[], logs: DecisionLog[], ids: number[][]): Promise<void> {
  const view = (log: DecisionLog, via: string) => (via === '' ? log : log.forCluster(via));
  for (const o of ops) {
    if (o.op === 'append') {
      for (let k = 0; k < logs.length; k++)
        ids[k]!.push((await view(logs[k]!, o.via).append(record(o))).id);
    } else if (o.op === 'prune') {
      for (const log of logs) await log.prune({ beforeMs: o.beforeMs, keep: o.keep }, 1_000_000);
    } else {
      if (ids[0]!.length === 0) continue;
      const i = o.index % ids[0]!.length;
      for (let k = 0; k < logs.length; k++) {
        const log = view(logs[k]!, o.via);
        if (o.op === 'settle') await log.settle(ids[k]![i]!, o.outcome, 'settled', 5);
        else await log.discard(ids[k]![i]!);
      }
    }
  }
}

function comparable(s: DecisionStats) {
  // Running totals may leave -1e-17 where the plain sum is 0: rounded, both are 0 (not -0).
  const round = (v: number | null) => (v === null ? null : Math.round(v * 1e6) / 1e6 + 0);
  return {
    ...s,
    averageCpuUsageMillicores: round(s.averageCpuUsageMillicores),
    averageMemoryUsageBytes: round(s.averageMemoryUsageBytes),
    averageCpuConfidence: round(s.averageCpuConfidence),
    averageMemoryConfidence: round(s.averageMemoryConfidence),
  };
}

const stores: [string, () => Promise<Store>][] = [
  ['sqlite', () => openStore({ dataDir: join(dir, `t-${Math.random()}`), cwd: '/', nowMs: 0 })],
  [
    'postgres',
    async () => {
      const sql = await openPostgres(pg.url);
      await resetSchema(sql);
      await sql.close();
      return openStore({ databaseUrl: pg.url, dataDir: '', cwd: '/', nowMs: 0 });
    },
  ],
];

describe.each(stores)('%s statistics as running totals', (_name, open) => {
  it('equal the plain count after any appends, settles, discards and prunes', async () => {
    const store = await open();
    const memory = new MemoryDecisionLog();
    const ids: number[][] = [[], []];
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 25 }), async (ops) => {
          await apply(ops, [memory, store.decisions], ids);
          for (const c of CLUSTERS) {
            const [sql, mem] = [store.decisions.forCluster(c), memory.forCluster(c)];
            expect(comparable(await sql.stats())).toEqual(comparable(await mem.stats()));
            expect((await sql.recent(1_000_000)).map((r) => r.outcome)).toEqual(
              (await mem.recent(1_000_000)).map((r) => r.outcome),
            );
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      await store.close();
    }
  }, 120_000);

  it('counts what was stored before the totals existed', async () => {
    const store = await open();
    try {
      await store.decisions.append(
        record({
          op: 'append',
          via: '',
          decision: fc.sample(decisionArb, { numRuns: 1, seed: 1 })[0]!,
          outcome: 'applied',
          timeMs: 1,
          cpu: 300,
        }),
      );
      // As migration 3 finds a log of migration 2: the totals rebuilt from the rows.
      await store.sql.all('DELETE FROM decision_totals');
      await store.sql.all('DELETE FROM decision_workloads');
      await store.sql.all('DELETE FROM schema_migrations WHERE version >= 3');
      if (store.sql.dialect === 'postgres') {
        await store.sql.all('DROP TABLE decision_totals, decision_workloads');
        await store.sql.all('DROP FUNCTION decision_totals_apply() CASCADE');
      } else {
        for (const t of ['decision_totals', 'decision_workloads'])
          await store.sql.all(`DROP TABLE ${t}`);
        for (const t of ['insert', 'delete', 'update'])
          await store.sql.all(`DROP TRIGGER decisions_totals_${t}`);
      }
      await store.sql.all('DROP INDEX IF EXISTS samples_time');
      await store.sql.all('DROP INDEX decisions_cluster');
      await store.sql.all('ALTER TABLE decisions DROP COLUMN cluster');
      for (const t of ['hub_clusters', 'hub_agents', 'hub_batches', 'hub_actions'])
        await store.sql.all(`DROP TABLE IF EXISTS ${t}`);
      const { migrate } = await import('./migrations.js');
      expect(await migrate(store.sql, 0)).toEqual([3, 4, 5, 6, 7]);
      expect(await store.decisions.stats()).toMatchObject({
        totalDecisions: 1,
        appliedScalings: 1,
        workloadsMonitored: 1,
        averageCpuUsageMillicores: 300,
      });
    } finally {
      await store.close();
    }
  }, 60_000);
});
