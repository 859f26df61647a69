/**
 * Nothing acknowledged is lost: a burst of decisions, the server killed with SIGKILL in the
 * middle of it, a restart on the same database, and every decision whose response arrived is
 * there — on SQLite and on a real PostgreSQL server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../store/testing/postgres.js';
import { type ServeProcess, startServe } from './testing/serveProcess.js';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(() => pg?.stop());

// Eight clients at once overlap: a workload another request is deciding is skipped (no decision),
// and every POST counts against the rate limit, skipped or not. The burst must not be cut short
// by the limit before enough decisions are acknowledged, however slow the store is.
const ARGS = ['--auto-scale-enabled', 'false', '--rate-limit', '1000000'];

async function burstThenKill(serve: ServeProcess): Promise<number[]> {
  const acked: number[] = [];
  let stop = false;
  const worker = async () => {
    while (!stop) {
      try {
        const res = await serve.post('/scale/all');
        if (res.status !== 200) continue;
        for (const r of res.body.results as { decision_id?: number }[])
          if (r.decision_id !== undefined) acked.push(r.decision_id);
      } catch {
        return; // the server is gone
      }
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  // Kill once a good number of decisions is acknowledged (or after a minute: the count is then
  // checked below), while requests are still in flight.
  const deadlineMs = Date.now() + 60_000;
  while (acked.length < 150 && Date.now() < deadlineMs) await new Promise((r) => setTimeout(r, 20));
  serve.child.kill('SIGKILL');
  await once(serve.child, 'exit');
  stop = true;
  await Promise.all(workers);
  return acked;
}

describe.each([
  ['SQLite', () => ({ QPILOT_DATA_DIR: mkdtempSync(join(tmpdir(), 'qpilot-kill-')) })],
  ['PostgreSQL', () => ({ DATABASE_URL: pg.url })],
])('%s', (_name, env) => {
  it('keeps every acknowledged decision across SIGKILL', async () => {
    const e = env();
    const first = await startServe(ARGS, e);
    const acked = await burstThenKill(first);
    const second = await startServe(ARGS, e);
    try {
      const res = await second.get('/decisions?limit=1000');
      const kept = new Set((res.body.decisions as { id: number }[]).map((d) => d.id));
      const lost = acked.filter((id) => !kept.has(id));
      expect(acked.length).toBeGreaterThanOrEqual(150);
      expect(lost).toEqual([]);
    } finally {
      await second.stop();
    }
  }, 120_000);
});
