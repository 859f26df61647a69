/**
 * The hub and its agents under faults (issue 13): a thousand connection cuts in the middle of a
 * stream, an agent killed with a full outbox, the hub restarted. Every batch is received
 * exactly once: none lost, none counted twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentCluster } from '../../cluster/agent/agentCluster.js';
import {
  cuttingProxy,
  eventually,
  startTestAgent,
  startTestHub,
  type TestHub,
} from '../testing/hubHarness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function register(h: TestHub) {
  const res = await h.t.app.inject({ method: 'POST', url: '/clusters', payload: { id: 'prod' } });
  const body = res.json<{ api_key: string; secret_key: string }>();
  return { clusterId: 'prod', apiKey: body.api_key, secretKey: body.secret_key };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the hub under faults', () => {
  it('receives every batch exactly once through 1,000 connection cuts mid-stream', async () => {
    const h = await startTestHub();
    cleanups.push(() => h.close());
    const keys = await register(h);
    const proxy = await cuttingProxy(h.port);
    cleanups.push(() => proxy.close());
    const agent = await startTestAgent({
      url: proxy.url,
      ...keys,
      firstBackoffMs: 4,
      resendAfterMs: 200,
      pollIntervalSec: 1,
    });
    cleanups.push(() => agent.kill());
    const ITEMS = 4;
    let produced = 0;
    let cuts = 0;
    // Batches keep coming until the thousandth cut, so that every cut falls mid-stream.
    const producer = (async () => {
      while (cuts < 1000) {
        await agent.outbox.add(
          Array.from({ length: ITEMS }, (_, j) => ({
            pod: `web-${produced}-${j}`,
            cpuMillicores: j,
          })),
          { kind: 'pod_metrics', collectedAtMs: produced },
        );
        produced++;
        await sleep(produced % 3 === 0 ? 10 : 1);
        // Within the outbox's bound (past it the oldest batch is dropped, by design).
        while (agent.outbox.size > 800) await sleep(5);
      }
    })();
    while (cuts < 1000) {
      await sleep(cuts % 2 === 0 ? 10 : 25);
      if (proxy.cut() > 0) cuts++;
    }
    await producer;
    await eventually('the outbox drained', () => agent.outbox.size === 0, 60_000);
    const totals = await h.store.hub.ingestTotals('prod');
    expect(cuts).toBeGreaterThanOrEqual(1000);
    expect(totals).toEqual([
      expect.objectContaining({ kind: 'pod_metrics', batches: produced, items: produced * ITEMS }),
    ]);
    expect(produced).toBeGreaterThan(1000);
    expect(h.events.ingested).toBe(produced);
    expect(agent.outbox.dropped).toBe(0);
    // Cuts lose acks: some batches arrived twice and were counted once.
    expect(h.events.duplicates).toBeGreaterThan(0);
  }, 180_000);

  it('delivers what a killed agent left in its outbox once it is restarted', async () => {
    const h = await startTestHub();
    cleanups.push(() => h.close());
    const keys = await register(h);
    const proxy = await cuttingProxy(h.port);
    cleanups.push(() => proxy.close());
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-outbox-kill-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const first = await startTestAgent({
      url: proxy.url,
      ...keys,
      outboxDir: dir,
      firstBackoffMs: 20,
    });
    await eventually('registered', () => first.link.registered());
    proxy.down = true;
    proxy.cut();
    for (let i = 0; i < 300; i++)
      await first.outbox.add([{ pod: `p-${i}` }], { kind: 'pod_metrics', collectedAtMs: i });
    await first.kill();
    proxy.down = false;
    const second = await startTestAgent({
      url: proxy.url,
      ...keys,
      outboxDir: dir,
      firstBackoffMs: 20,
    });
    cleanups.push(() => second.kill());
    expect(second.outbox.size).toBe(300);
    await eventually('the outbox drained', () => second.outbox.size === 0, 30_000);
    expect(await h.store.hub.ingestTotals('prod')).toEqual([
      expect.objectContaining({ batches: 300, items: 300 }),
    ]);
  }, 60_000);

  it('lets agents reconnect and resume when the hub restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-hub-restart-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const h1 = await startTestHub({ dir });
    const keys = await register(h1);
    const agent = await startTestAgent({ url: h1.url, ...keys, firstBackoffMs: 50 });
    cleanups.push(() => agent.kill());
    await eventually('the socket', () => h1.switchboard.state('prod').sockets.length > 0);
    await h1.close();
    for (let i = 0; i < 20; i++)
      await agent.outbox.add([{ pod: `p-${i}` }], { kind: 'pod_metrics', collectedAtMs: i });
    await sleep(300);
    const h2 = await startTestHub({ dir, port: h1.port });
    cleanups.push(() => h2.close());
    await eventually(
      'the socket again',
      () => h2.switchboard.state('prod').sockets.length > 0,
      30_000,
    );
    await eventually('the outbox drained', () => agent.outbox.size === 0, 30_000);
    expect(await h2.store.hub.ingestTotals('prod')).toEqual([
      expect.objectContaining({ batches: 20, items: 20 }),
    ]);
    const remote = new AgentCluster(h2.switchboard, 'prod');
    expect((await remote.getWorkload('default', 'web')).spec?.replicas).toBe(2);
  }, 60_000);
});
