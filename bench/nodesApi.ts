/**
 * GET /nodes with 100 nodes and 5,000 pods: qpilot's rate beside a bare node:http server
 * returning the same precomputed JSON, in the same run, alternating so that both see the
 * same machine. Target: qpilot at least half the bare server's rate.
 */
import { buildNodeReport } from '../src/cluster/nodeReport.js';
import { emit, load, median, startChildServer } from './lib.js';
import { bigCluster } from './bigCluster.js';

export async function nodesApi(rounds = 3, durationSec = 5, connections = 50): Promise<void> {
  const sim = bigCluster();
  const pods = (await sim.listPods()).items.length;
  const t0 = performance.now();
  await buildNodeReport(sim);
  const coldReportMs = performance.now() - t0;

  const app = await startChildServer('nodesServer', ['app']);
  const bare = await startChildServer('nodesServer', ['bare']);
  try {
    // Warm both up (JIT, caches) before measuring.
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
      bench: 'nodes-api',
      nodes: 100,
      pods,
      connections,
      durationSec,
      rounds,
      qpilotRequestsPerSec: Math.round(qpilotRps),
      bareRequestsPerSec: Math.round(bareRps),
      ratio: Number((qpilotRps / bareRps).toFixed(3)),
      target: 0.5,
      qpilotP99LatencyMs: appP99,
      coldReportMs: Number(coldReportMs.toFixed(1)),
    });
  } finally {
    await app.stop();
    await bare.stop();
  }
}
