/**
 * SIGTERM ends qpilot in bounded time even when its PostgreSQL stopped answering (a
 * partition: connections open, nothing replies), so that a terminated pod does not linger
 * until Kubernetes kills it; and meanwhile every store route answers 503, not nothing.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from '../store/testing/postgres.js';
import { startServe } from './testing/serveProcess.js';

let pg: TestPostgres;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(() => pg?.stop());

describe('a PostgreSQL that stopped answering', () => {
  it('gets 503s within the store timeout, and SIGTERM still ends the process within its deadline', async () => {
    const serve = await startServe(
      ['--auto-scale-enabled', 'false', '--store-timeout-ms', '1000'],
      { DATABASE_URL: pg.url },
    );
    try {
      expect((await serve.get('/ready')).status).toBe(200);
      pg.pause();
      const started = performance.now();
      const res = await serve.get('/decisions');
      expect(res.status).toBe(503);
      expect(String(res.body.error)).toMatch(/decision store/);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect((await serve.get('/ready')).status).toBe(503);
      // A request in flight on the stuck store, then the signal.
      const inFlight = serve.get('/statistics').catch(() => undefined);
      const stopping = performance.now();
      serve.child.kill('SIGTERM');
      await once(serve.child, 'exit');
      expect(performance.now() - stopping).toBeLessThan(15_000);
      await inFlight;
    } finally {
      pg.resume();
      if (serve.child.exitCode === null && serve.child.signalCode === null)
        serve.child.kill('SIGKILL');
    }
  }, 60_000);
});
