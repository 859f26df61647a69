/** The hub's store behaves alike on SQLite and on a real PostgreSQL server. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestBatch, SqlHubStore } from './hubStore.js';
import { migrate } from './migrations.js';
import { openPostgres, openSqlite, type Sql } from './sql.js';
import { resetSchema } from './testing/resetSchema.js';
import { startPostgres, type TestPostgres } from './testing/postgres.js';

let pg: TestPostgres;
let dir: string;
beforeAll(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'qpilot-hub-store-'));
}, 60_000);
afterAll(() => {
  pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const batch = (key: string, seq: number, items = 3): IngestBatch => ({
  clusterId: 'prod',
  agentId: 'agent-1',
  idempotencyKey: key,
  seq,
  kind: 'pod_metrics',
  collectedAtMs: 1000 * seq,
  items: Array.from({ length: items }, (_, i) => ({ pod: `web-${i}`, cpuMillicores: i })),
});

const databases: [string, () => Promise<Sql>][] = [
  ['SQLite', () => openSqlite(join(dir, `hub-${Math.random()}.db`))],
  [
    'PostgreSQL',
    async () => {
      const sql = await openPostgres(pg.url);
      await resetSchema(sql);
      return sql;
    },
  ],
];

describe.each(databases)('the hub store on %s', (_name, open) => {
  it('keeps clusters once by id, agents by cluster and id, and batches once by key', async () => {
    const sql = await open();
    try {
      await migrate(sql, 0);
      const store = new SqlHubStore(sql);
      const cluster = {
        id: 'prod',
        name: 'Production',
        apiKeyHash: 'ab'.repeat(32),
        secretKey: 's'.repeat(48),
        createdMs: 5,
      };
      expect(await store.createCluster(cluster)).toBe(true);
      expect(await store.createCluster({ ...cluster, name: 'other' })).toBe(false);
      expect(await store.getCluster('prod')).toEqual(cluster);
      expect(await store.getCluster('nope')).toBeUndefined();
      expect((await store.listClusters()).map((c) => c.id)).toEqual(['prod']);

      const agent = {
        clusterId: 'prod',
        agentId: 'agent-1',
        version: '0.1.0',
        actions: ['scale'],
        registeredMs: 10,
        lastSeenMs: 10,
      };
      await store.saveAgent(agent);
      await store.saveAgent({
        ...agent,
        lastSeenMs: 40,
        lastHeartbeatMs: 40,
        heartbeat: { rssBytes: 123, components: { collector: 'ok' } },
      });
      expect(await store.listAgents('prod')).toEqual([
        {
          ...agent,
          lastSeenMs: 40,
          lastHeartbeatMs: 40,
          heartbeat: { rssBytes: 123, components: { collector: 'ok' } },
        },
      ]);
      expect(await store.listAgents('other')).toEqual([]);

      expect(await store.ingest(batch('k-1', 1), 100)).toBe(true);
      expect(await store.ingest(batch('k-1', 1), 101)).toBe(false);
      expect(await store.ingest(batch('k-2', 2, 5), 200)).toBe(true);
      expect(await store.ingest({ ...batch('k-1', 1), clusterId: 'staging' }, 150)).toBe(true);
      expect(await store.ingestTotals('prod')).toEqual([
        { kind: 'pod_metrics', batches: 2, items: 8, lastCollectedMs: 2000 },
      ]);
      const newest = await store.batches('prod', 'pod_metrics', 1);
      expect(newest).toHaveLength(1);
      expect(newest[0]).toMatchObject({ idempotencyKey: 'k-2', seq: 2, receivedMs: 200 });
      expect(newest[0]?.items).toHaveLength(5);
      expect(await store.prune(150)).toBe(1);
      expect(await store.ingestTotals('prod')).toEqual([
        { kind: 'pod_metrics', batches: 1, items: 5, lastCollectedMs: 2000 },
      ]);

      // A cluster that is not registered: nothing is deleted, not even batches under its id.
      expect(await store.deleteCluster('staging')).toBe(false);
      expect(await store.ingestTotals('staging')).toHaveLength(1);
      // Deleted: the cluster, its agents and batches; another cluster's stay.
      expect(await store.deleteCluster('prod')).toBe(true);
      expect(await store.getCluster('prod')).toBeUndefined();
      expect(await store.listAgents('prod')).toEqual([]);
      expect(await store.ingestTotals('prod')).toEqual([]);
      expect(await store.ingestTotals('staging')).toHaveLength(1);
      expect(await store.deleteCluster('prod')).toBe(false);
    } finally {
      await sql.close();
    }
  });

  it("records an operator's action before it is sent, and settles it", async () => {
    const sql = await open();
    try {
      await migrate(sql, 0);
      const store = new SqlHubStore(sql);
      const action = { id: 'a-1', type: 'cordon', node: 'n1' };
      const pending = (a: Record<string, unknown> & { id: string; type: string }, ms: number) =>
        store.recordAction({
          clusterId: 'prod',
          id: a.id,
          type: a.type,
          action: a,
          requestedMs: ms,
          outcome: 'pending',
        });
      await pending(action, 10);
      await pending({ id: 'a-2', type: 'scale' }, 20);
      await store.settleAction('prod', 'a-1', {
        outcome: 'succeeded',
        message: 'cordoned',
        result: { node: 'n1' },
        settledMs: 15,
      });
      expect(await store.actions('prod', 10)).toEqual([
        {
          clusterId: 'prod',
          id: 'a-2',
          type: 'scale',
          action: { id: 'a-2', type: 'scale' },
          requestedMs: 20,
          outcome: 'pending',
        },
        {
          clusterId: 'prod',
          id: 'a-1',
          type: 'cordon',
          action,
          requestedMs: 10,
          outcome: 'succeeded',
          message: 'cordoned',
          result: { node: 'n1' },
          settledMs: 15,
        },
      ]);
      expect(await store.actions('prod', 1)).toHaveLength(1);
      expect(await store.actions('other', 10)).toEqual([]);
      // A pending action can be discarded (it was refused); a settled one stays.
      await store.discardAction('prod', 'a-2');
      await store.discardAction('prod', 'a-1');
      expect((await store.actions('prod', 10)).map((a) => a.id)).toEqual(['a-1']);
    } finally {
      await sql.close();
    }
  });

  it('counts a batch sent by many requests at once exactly once', async () => {
    const sql = await open();
    try {
      await migrate(sql, 0);
      const store = new SqlHubStore(sql);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.ingest(batch('same', 7), 1)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.ingestTotals('prod')).toEqual([
        { kind: 'pod_metrics', batches: 1, items: 3, lastCollectedMs: 7000 },
      ]);
    } finally {
      await sql.close();
    }
  });
});
