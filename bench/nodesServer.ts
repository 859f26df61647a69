/**
 * A server for the GET /nodes benchmark, in its own process: `app` is qpilot's API over a
 * simulated cluster of 100 nodes and 5,000 pods; `bare` is node:http returning the same
 * report, precomputed.
 */
import { createServer } from 'node:http';
import { buildApp } from '../src/api/app.js';
import { buildNodeReport } from '../src/cluster/nodeReport.js';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { ScalingService } from '../src/controller/scalingService.js';
import { DEFAULT_SETTINGS } from '../src/controller/settings.js';
import { servingPolicies } from '../src/policies/servingPolicies.js';
import { MemoryDecisionLog } from '../src/store/decisionLog.js';
import { MemorySampleStore } from '../src/store/sampleStore.js';
import { createSampler } from '../src/api/sampling.js';
import { ServiceMetrics } from '../src/metrics/serviceMetrics.js';
import { bigCluster } from './bigCluster.js';

const mode = process.argv[2];
const sim = bigCluster();
if (mode === 'bare') {
  const json = JSON.stringify(await buildNodeReport(sim));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(json);
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`LISTENING http://127.0.0.1:${port}/nodes\n`);
  });
} else {
  const scaling = new ScalingService({
    cluster: sim,
    clock: sim.clock,
    settings: { ...DEFAULT_SETTINGS, autoScaleEnabled: false },
    policy: servingPolicies(undefined),
    log: new MemoryDecisionLog(),
  });
  const samples = new MemorySampleStore();
  const app = await buildApp({
    metrics: new ServiceMetrics(),
    scaling,
    samples,
    sampler: createSampler(sim, sim.clock, samples),
    cluster: sim,
    clock: sim.clock,
    config: { ...DEFAULT_CONFIG },
    version: 'bench',
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`LISTENING ${address}/nodes\n`);
}
