/**
 * GET /decisions?limit=50 at 100 concurrent connections over a SQLite store of 10,000
 * decisions: qpilot's rate beside a bare node:http server answering from the same store, in
 * the same run, alternating. Target: qpilot at least half the bare server's rate.
 */
import { emit, load, median, startChildServer } from './lib.js';

export async function decisionsApi(rounds = 3, durationSec = 5, connections = 100): Promise<void> {
  const app = await startChildServer('decisionsServer', ['app']);
  const bare = await startChildServer('decisionsServer', ['bare']);
  try {
    await load(app.url, connections, 1);
    await load(bare.url, connections, 1);
    const appRates: number[] = [];
    const bareRates: number[] = [];
    let appP99 = 0;
    for (let i = 0; i < rounds; i++) {
      const a = await load(app.url, connections, durationSec);
      const b = await load(bare.url, connections, durationSec);
      if (a.non2xx || a.errors)
        throw new Error(`qpilot answered ${a.non2xx} non-2xx and ${a.errors} errors`);
      appRates.push(a.requestsPerSec);
      bareRates.push(b.requestsPerSec);
      appP99 = Math.max(appP99, a.p99LatencyMs);
    }
    const qpilotRps = median(appRates);
    const bareRps = median(bareRates);
    emit({
      bench: 'decisions-api',
      decisions: 10_000,
      limit: 50,
      store: 'sqlite',
      connections,
      durationSec,
      rounds,
      qpilotRequestsPerSec: Math.round(qpilotRps),
      bareRequestsPerSec: Math.round(bareRps),
      ratio: Number((qpilotRps / bareRps).toFixed(3)),
      target: 0.5,
      qpilotP99LatencyMs: appP99,
    });
  } finally {
    await app.stop();
    await bare.stop();
  }
}
