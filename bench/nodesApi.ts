/**
 * GET /nodes with 100 nodes and 5,000 pods: qpilot's rate beside a bare node:http server
 * returning the same precomputed JSON, in the same run, alternating so that both see the
 * same machine. Target: qpilot at least half the bare server's rate.
 */
import { buildNodeReport } from '../src/cluster/nodeReport.js';
import { compareServers, emit } from './lib.js';
import { bigCluster } from './bigCluster.js';

export async function nodesApi(rounds = 3, durationSec = 5, connections = 50): Promise<void> {
  const sim = bigCluster();
  const pods = (await sim.listPods()).items.length;
  const t0 = performance.now();
  await buildNodeReport(sim);
  const coldReportMs = performance.now() - t0;

  const figures = await compareServers('nodesServer', rounds, durationSec, connections);
  emit({
    bench: 'nodes-api',
    nodes: 100,
    pods,
    connections,
    durationSec,
    rounds,
    ...figures,
    coldReportMs: Number(coldReportMs.toFixed(1)),
  });
}
