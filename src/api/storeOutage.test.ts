/**
 * A store that cannot be written: every route that would change the cluster answers 503 and
 * changes nothing, so that a client retrying the 503, as it should, never changes it twice.
 * SQLite with a full disk (its page limit reached), and PostgreSQL stopped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewDecisionRecord } from '../core/decision.js';
import { openStore, type Store } from '../store/openStore.js';
import { startPostgres, type TestPostgres } from '../store/testing/postgres.js';
import { type SimApp, simApp } from './testing/simApp.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qpilot-outage-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const filler = (i: number): NewDecisionRecord => ({
  timeMs: i,
  namespace: 'default',
  workload: 'web',
  decision: {
    policy: 'static-2',
    kind: 'horizontal',
    namespace: 'default',
    name: 'web',
    timeMs: i,
    replicas: { current: 2, desired: 2 },
    canScale: false,
    explanation: { reasoning: 'an earlier decision', factors: [] },
  },
  outcome: 'no_change',
  message: 'nothing to change',
  metrics: {
    cpuUsageMillicores: 0,
    memoryUsageBytes: 0,
    cpuLimitMillicores: 0,
    memoryLimitBytes: 0,
  },
});

/** Fills the database to the page limit set on it, as a full disk would leave it. */
async function fillUp(store: Store): Promise<void> {
  const [row] = await store.sql.all('PRAGMA page_count');
  await store.sql.all(`PRAGMA max_page_count = ${Number(Object.values(row!)[0])}`);
  for (let i = 0; ; i++) {
    try {
      await store.decisions.append(filler(i));
    } catch {
      break;
    }
  }
  for (let i = 0; ; i++) {
    try {
      await store.samples.append('filler', [
        {
          timeMs: i,
          namespace: 'default',
          workload: 'web',
          cpuPercent: 1,
          memoryMb: 1,
          onlinePods: 1,
          totalPods: 1,
        },
      ]);
    } catch {
      break;
    }
  }
}

/** What the routes could change: replicas, templates, pods and their resources, Events. */
async function clusterState(t: SimApp): Promise<string> {
  const deps = (await t.sim.listWorkloads()).items.map((d) => [
    d.metadata?.name,
    d.spec?.replicas,
    d.spec?.template?.spec?.containers.map((c) => c.resources),
  ]);
  const pods = (await t.sim.listPods()).items.map((p) => [
    p.metadata?.name,
    Boolean(p.metadata?.deletionTimestamp),
    p.spec?.containers.map((c) => c.resources),
  ]);
  return JSON.stringify({ deps, pods, events: t.sim.events.length });
}

async function expectEveryChangeRefused(t: SimApp, message: RegExp): Promise<void> {
  const pods = (await t.sim.listPods({ namespace: 'default' })).items.map((p) => p.metadata!.name!);
  t.sim.injectPodState('default', pods[1]!, 'CrashLoopBackOff');
  const before = await clusterState(t);
  const requests: [string, unknown?][] = [
    ['/scale/all'],
    [`/scale/pod/default/${pods[0]}`],
    [
      `/api/namespaces/default/pods/${pods[0]}/resize`,
      { containers: { nginx: { requests: { cpu: '300m' } } } },
    ],
    ['/pod/scale/out'],
    ['/pod/scale/in'],
    ['/pod/set-pod-count/4'],
    ['/pod/confirm'],
    ['/metrics', { action: 'start', series: 'during-outage' }],
  ];
  for (const [url, payload] of requests) {
    const res = await t.app.inject({ method: 'POST', url, ...(payload ? { payload } : {}) });
    expect(res.statusCode, url).toBe(503);
    const body = res.json<{ success: boolean; code: string; error: string }>();
    expect(body, url).toMatchObject({ success: false, code: 'QP_ERR_UNAVAILABLE' });
    expect(body.error, url).toMatch(message);
    expect(await clusterState(t), url).toBe(before);
  }
}

describe('a store that cannot be written', () => {
  it('SQLite on a full disk: every change is refused with a 503, the cluster untouched', async () => {
    const store = await openStore({ dataDir: join(dir, 'full'), cwd: '/', nowMs: 0 });
    const t = await simApp({ store, settings: { policy: 'static:4', dryRun: false } });
    try {
      await fillUp(store);
      await expectEveryChangeRefused(t, /SQLITE_FULL/);
      // The decisions that change something say retrying is safe.
      const res = await t.app.inject({ method: 'POST', url: '/pod/scale/out' });
      expect(res.json<{ error: string }>().error).toMatch(
        /could not be recorded .*: nothing was changed; retrying is safe$/,
      );
    } finally {
      await t.app.close();
      await store.sql.close();
    }
  });

  it('SQLite read-only: 503s while it is, and recovers without a restart once it is writable', async () => {
    // SQLite opens a file it may not write read-only, and that connection stays read-only
    // whatever becomes of the file. chattr +i makes the file unwritable even for root.
    const data = join(dir, 'readonly');
    const file = join(data, 'qpilot.db');
    await (await openStore({ dataDir: data, cwd: '/', nowMs: 0 })).close();
    execFileSync('chattr', ['+i', file]);
    const store = await openStore({ dataDir: data, cwd: '/', nowMs: 0 });
    const t = await simApp({ store, settings: { policy: 'static:4', dryRun: false } });
    try {
      const before = await clusterState(t);
      const refused = await t.app.inject({ method: 'POST', url: '/pod/set-pod-count/4' });
      expect(refused.statusCode).toBe(503);
      expect(refused.json<{ error: string }>().error).toMatch(/SQLITE_READONLY/);
      expect(await clusterState(t)).toBe(before);
      execFileSync('chattr', ['-i', file]);
      const res = await t.app.inject({ method: 'POST', url: '/pod/set-pod-count/4' });
      expect(res.statusCode).toBe(200);
      expect((await t.sim.getWorkload('default', 'web')).spec?.replicas).toBe(4);
    } finally {
      execFileSync('chattr', ['-i', file]);
      await t.app.close();
      await store.close();
    }
  });

  describe('PostgreSQL stopped', () => {
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 60_000);
    afterAll(() => pg?.stop());

    it('refuses every change with a 503, the cluster untouched', async () => {
      const store = await openStore({ databaseUrl: pg.url, dataDir: '', cwd: '/', nowMs: 0 });
      const t = await simApp({ store, settings: { policy: 'static:4', dryRun: false } });
      try {
        pg.stop();
        await expectEveryChangeRefused(t, /ECONNREFUSED|cannot be reached|could not be recorded/);
      } finally {
        await t.app.close();
        await store.sql.close().catch(() => undefined);
      }
    }, 60_000);
  });

  describe('PostgreSQL paused (a partition: connections open, nothing answers)', () => {
    let pg: TestPostgres;
    beforeAll(async () => {
      pg = await startPostgres();
    }, 60_000);
    afterAll(() => pg?.stop());

    it('answers 503 within the timeout, says so on /ready, and recovers when it answers again', async () => {
      const timeoutMs = 1_000;
      const store = await openStore({
        databaseUrl: pg.url,
        dataDir: '',
        cwd: '/',
        nowMs: 0,
        timeoutMs,
      });
      const t = await simApp({ store, settings: { policy: 'static:4', dryRun: false } });
      const wallMs = () => performance.now();
      try {
        expect((await t.app.inject('/ready')).statusCode).toBe(200);
        pg.pause();
        const before = await clusterState(t);
        for (const [method, url] of [
          ['POST', '/pod/set-pod-count/4'],
          ['POST', '/scale/all'],
          ['GET', '/decisions'],
          ['GET', '/statistics'],
        ] as const) {
          const started = wallMs();
          const res = await t.app.inject({ method, url });
          expect(res.statusCode, url).toBe(503);
          expect(res.json<{ error: string }>().error, url).toMatch(/decision store|PostgreSQL/);
          // Every wait is bounded: connecting, a connection from the pool, a statement.
          expect(wallMs() - started, url).toBeLessThan(4 * timeoutMs + 2_000);
        }
        expect(await clusterState(t)).toBe(before);
        const ready = await t.app.inject('/ready');
        expect(ready.statusCode).toBe(503);
        expect(ready.json<{ error: string }>().error).toContain('PostgreSQL');
        const health = await t.app.inject('/health');
        expect(health.statusCode).toBe(200);
        expect(health.json()).toMatchObject({
          status: 'degraded',
          checks: { store: { status: 'unavailable' } },
        });

        pg.resume();
        // Connections the timeouts broke are thrown away; fresh ones serve the next calls.
        let res = await t.app.inject({ method: 'POST', url: '/pod/set-pod-count/4' });
        for (let i = 0; i < 10 && res.statusCode === 503; i++) {
          await new Promise((r) => setTimeout(r, 200));
          res = await t.app.inject({ method: 'POST', url: '/pod/set-pod-count/4' });
        }
        expect(res.statusCode).toBe(200);
        expect((await t.sim.getWorkload('default', 'web')).spec?.replicas).toBe(4);
        expect((await t.app.inject('/ready')).statusCode).toBe(200);
      } finally {
        pg.resume();
        await t.app.close();
        await store.close().catch(() => undefined);
      }
    }, 60_000);
  });
});
