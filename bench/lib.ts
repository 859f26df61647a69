/** Shared helpers for benchmarks: JSON-line output, statistics, child-process servers. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** One figure per line, as JSON, so that runs can be compared by tools. */
export function emit(record: Record<string, unknown>): void {
  process.stdout.write(
    JSON.stringify({ ...record, node: process.version, at: new Date().toISOString() }) + '\n',
  );
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function cpuSeconds(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

export interface ChildServer {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `bench/<script>.ts` in its own process; it prints `LISTENING <url>` when ready. */
export async function startChildServer(script: string, args: string[]): Promise<ChildServer> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(BENCH_DIR, `${script}.ts`), ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let buffer = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = /LISTENING (\S+)/.exec(buffer);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) =>
      reject(new Error(`${script} exited with ${code} before listening`)),
    );
  });
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

export interface LoadResult {
  requestsPerSec: number;
  p50LatencyMs: number;
  p99LatencyMs: number;
  non2xx: number;
  errors: number;
}

export async function load(
  url: string,
  connections: number,
  durationSec: number,
): Promise<LoadResult> {
  const r = await autocannon({ url, connections, duration: durationSec, pipelining: 1 });
  return {
    requestsPerSec: r.requests.average,
    p50LatencyMs: r.latency.p50,
    p99LatencyMs: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

export interface Comparison {
  qpilotRps: number;
  bareRps: number;
  qpilotP99Ms: number;
}

/**
 * qpilot's rate beside a bare server's, after a warm-up of both, alternating rounds so that both
 * see the same machine; the medians of the rounds. qpilot must answer only 2xx.
 */
export async function compareServers(
  appUrl: string,
  bareUrl: string,
  rounds: number,
  durationSec: number,
  connections: number,
): Promise<Comparison> {
  await load(appUrl, connections, 1);
  await load(bareUrl, connections, 1);
  const appRates: number[] = [];
  const bareRates: number[] = [];
  let qpilotP99Ms = 0;
  for (let i = 0; i < rounds; i++) {
    const a = await load(appUrl, connections, durationSec);
    const b = await load(bareUrl, connections, durationSec);
    if (a.non2xx || a.errors)
      throw new Error(`qpilot answered ${a.non2xx} non-2xx and ${a.errors} errors`);
    appRates.push(a.requestsPerSec);
    bareRates.push(b.requestsPerSec);
    qpilotP99Ms = Math.max(qpilotP99Ms, a.p99LatencyMs);
  }
  return { qpilotRps: median(appRates), bareRps: median(bareRates), qpilotP99Ms };
}
