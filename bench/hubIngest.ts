/**
 * The hub (`qpilot serve`, the build, SQLite under a temporary directory) ingesting 50 agents
 * × 1,000 pods every 10 s: each agent, one WebSocket, sends its 1,000 pod metrics as 10
 * batches of 100 (BATCH_SIZE's default) at each round. Reported: the hub process's CPU as a
 * share of one core over the run (from /proc), and the lag from a batch's sending to its ack
 * (stored, then acknowledged). A round must be ingested well within its 10 s.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { BENCH_DIR, emit, median, cpuSecondsOf } from './lib.js';

const ROOT = join(BENCH_DIR, '..');
const AGENTS = 50;
const PODS = 1000;
const BATCH = 100;
const ROUND_MS = 10_000;
const ROUNDS = 6;

const podItem = (agent: number, i: number) => ({
  namespace: `ns-${i % 20}`,
  pod: `web-${agent}-${i}-7d9f8c6b5-x2x4z`,
  container: 'app',
  cpu: `${(i % 500) + 1}m`,
  memory: `${(i % 300) + 20}Mi`,
  timestamp: new Date().toISOString(),
  window: '15s',
});

export async function hubIngest(): Promise<void> {
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const hub = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--cluster', 'sim', '--port', '0'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        QPILOT_DATA_DIR: mkdtempSync(join(tmpdir(), 'qpilot-bench-hub-')),
        AUTO_SCALE_ENABLED: 'false',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    hub.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/localhost:\d+)"/.exec(out);
      if (m) resolve(m[1]!.replace('localhost', '127.0.0.1'));
    });
    hub.once('exit', (code) => reject(new Error(`the hub exited with ${code}`)));
  });
  const sockets: WebSocket[] = [];
  try {
    const lags: number[] = [];
    const pending = new Map<string, number>();
    for (let a = 0; a < AGENTS; a++) {
      const res = await fetch(`${url}/clusters`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: `c-${a}` }),
      });
      const keys = (await res.json()) as { api_key: string };
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, {
        headers: {
          authorization: `Bearer ${keys.api_key}`,
          'x-qpilot-cluster': `c-${a}`,
          'x-qpilot-agent': `agent-${a}`,
        },
      });
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      ws.on('message', (d: Buffer) => {
        const m = JSON.parse(d.toString()) as { idempotencyKey?: string };
        const sent = m.idempotencyKey ? pending.get(m.idempotencyKey) : undefined;
        if (sent !== undefined) {
          lags.push(performance.now() - sent);
          pending.delete(m.idempotencyKey!);
        }
      });
      sockets.push(ws);
    }
    let seq = 0;
    const roundEnds: number[] = [];
    const cpu0 = cpuSecondsOf(hub.pid!);
    const t0 = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      const start = performance.now();
      for (let a = 0; a < AGENTS; a++) {
        for (let b = 0; b < PODS / BATCH; b++) {
          const key = randomUUID();
          const items = Array.from({ length: BATCH }, (_, i) => podItem(a, b * BATCH + i));
          pending.set(key, performance.now());
          sockets[a]!.send(
            JSON.stringify({
              v: 1,
              type: 'ingest',
              id: randomUUID(),
              agentId: `agent-${a}`,
              idempotencyKey: key,
              seq: ++seq,
              kind: 'pod_metrics',
              collectedAtMs: Date.now(),
              items,
            }),
          );
        }
      }
      while (pending.size > 0 && performance.now() - start < ROUND_MS * 3)
        await new Promise((r) => setTimeout(r, 20));
      roundEnds.push(performance.now() - start);
      const rest = ROUND_MS - (performance.now() - start);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    const wallSec = (performance.now() - t0) / 1000;
    const cpuSec = cpuSecondsOf(hub.pid!) - cpu0;
    const sorted = [...lags].sort((x, y) => x - y);
    emit({
      bench: 'hub-ingest',
      agents: AGENTS,
      podsPerAgent: PODS,
      batchSize: BATCH,
      roundSec: ROUND_MS / 1000,
      rounds: ROUNDS,
      batchesAcked: lags.length,
      batchesSent: seq,
      hubCpuShareOfOneCore: Number((cpuSec / wallSec).toFixed(3)),
      roundIngestedMsMedian: Math.round(median(roundEnds)),
      roundIngestedMsMax: Math.round(Math.max(...roundEnds)),
      lagMsP50: Math.round(sorted[Math.floor(sorted.length * 0.5)] ?? 0),
      lagMsP99: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
    });
  } finally {
    for (const s of sockets) s.terminate();
    hub.kill('SIGTERM');
  }
}
