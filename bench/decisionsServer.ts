/**
 * A server for the GET /decisions benchmark, in its own process, over a SQLite store filled
 * with 10,000 decisions: `app` is qpilot's API; `bare` is node:http answering the same route
 * from the same store with the same views, so that the ratio measures what the framework,
 * validation, security hooks and metrics cost.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decisionSummaryView } from '../src/api/decisionViews.js';
import { RealClock } from '../src/core/clock.js';
import type { Decision } from '../src/core/decision.js';
import { openStore } from '../src/store/openStore.js';
import { listenBenchApp } from './benchApp.js';

const mode = process.argv[2];
const clock = new RealClock();
const store = await openStore({
  dataDir: mkdtempSync(join(tmpdir(), 'qpilot-bench-')),
  cwd: '/',
  nowMs: clock.now(),
});
const decision = (i: number): Decision => ({
  policy: 'dqn-vertical',
  kind: 'vertical',
  namespace: 'default',
  name: `svc-${i % 100}`,
  timeMs: clock.now(),
  cpuMillicores: { current: 500, desired: 600 },
  memoryBytes: { current: 256 * 2 ** 20, desired: 256 * 2 ** 20 },
  containers: [
    {
      name: 'app',
      requests: { cpuMillicores: 600, memoryBytes: 256 * 2 ** 20 },
      limits: { cpuMillicores: 1200, memoryBytes: 512 * 2 ** 20 },
    },
  ],
  templateFallback: true,
  qValues: { cpu: [0.1, 0.3, 0.9], memory: [0.2, 0.95, 0.4] },
  actions: { cpu: 'INCREASE', memory: 'MAINTAIN' },
  confidence: { cpu: 0.85, memory: 0.92 },
  predictions: { nextStepCpuMillicores: 180, nextStepMemoryBytes: 250 * 2 ** 20 },
  canScale: true,
  explanation: { reasoning: 'High CPU utilisation. Memory is stable.', factors: ['cpu_high'] },
});
// Through the store's own append (one commit each, as the loop writes them): about 4 s.
for (let k = 0; k < 10_000; k++)
  await store.decisions.append({
    timeMs: clock.now(),
    namespace: 'default',
    workload: `svc-${k % 100}`,
    pod: `svc-${k % 100}-abc12`,
    decision: decision(k),
    outcome: 'dry_run',
    message: 'dry run: would set svc to 0.6 cores',
    metrics: {
      cpuUsageMillicores: 150,
      memoryUsageBytes: 256.5 * 2 ** 20,
      cpuLimitMillicores: 500,
      memoryLimitBytes: 512 * 2 ** 20,
    },
  });

if (mode === 'bare') {
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/decisions')) {
      res.writeHead(404).end();
      return;
    }
    void store.decisions.recent(50).then((records) => {
      const decisions = records.map(decisionSummaryView);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ success: true, count: decisions.length, decisions }));
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`LISTENING http://127.0.0.1:${port}/decisions?limit=50\n`);
  });
} else {
  process.stdout.write(`LISTENING ${await listenBenchApp(clock, store)}/decisions?limit=50\n`);
}
