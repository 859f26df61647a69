/**
 * GET /decisions?limit=50 at 100 concurrent connections over a SQLite store of 10,000
 * decisions: qpilot's rate beside a bare node:http server answering from the same store, in
 * the same run, alternating. Target: qpilot at least half the bare server's rate.
 */
import { compareServers, emit } from './lib.js';

export async function decisionsApi(rounds = 3, durationSec = 5, connections = 100): Promise<void> {
  const figures = await compareServers('decisionsServer', rounds, durationSec, connections);
  emit({
    bench: 'decisions-api',
    decisions: 10_000,
    limit: 50,
    store: 'sqlite',
    connections,
    durationSec,
    rounds,
    ...figures,
  });
}
