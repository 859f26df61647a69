/** Shared helpers for benchmarks: JSON-line output, statistics, child-process servers. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { AppsV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

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

/** qpilot's rate beside a bare server's: the figures every API benchmark reports. */
export interface Comparison {
  qpilotRequestsPerSec: number;
  bareRequestsPerSec: number;
  ratio: number;
  target: number;
  qpilotP99LatencyMs: number;
}

/**
 * Starts `bench/<script>.ts app` and `bench/<script>.ts bare` in their own processes, warms
 * both up, then alternates rounds so that both see the same machine; the medians of the
 * rounds. qpilot must answer only 2xx. Target: qpilot at least half the bare rate.
 */
export async function compareServers(
  script: string,
  rounds: number,
  durationSec: number,
  connections: number,
): Promise<Comparison> {
  const app = await startChildServer(script, ['app']);
  const bare = await startChildServer(script, ['bare']);
  try {
    await load(app.url, connections, 1);
    await load(bare.url, connections, 1);
    const appRates: number[] = [];
    const bareRates: number[] = [];
    let qpilotP99LatencyMs = 0;
    for (let i = 0; i < rounds; i++) {
      const a = await load(app.url, connections, durationSec);
      const b = await load(bare.url, connections, durationSec);
      if (a.non2xx || a.errors)
        throw new Error(`qpilot answered ${a.non2xx} non-2xx and ${a.errors} errors`);
      appRates.push(a.requestsPerSec);
      bareRates.push(b.requestsPerSec);
      qpilotP99LatencyMs = Math.max(qpilotP99LatencyMs, a.p99LatencyMs);
    }
    const qpilotRps = median(appRates);
    const bareRps = median(bareRates);
    return {
      qpilotRequestsPerSec: Math.round(qpilotRps),
      bareRequestsPerSec: Math.round(bareRps),
      ratio: Number((qpilotRps / bareRps).toFixed(3)),
      target: 0.5,
      qpilotP99LatencyMs,
    };
  } finally {
    await app.stop();
    await bare.stop();
  }
}

const ROOT = join(BENCH_DIR, '..');
const BENCH_CLUSTER_ENV = {
  ...process.env,
  QPILOT_E2E_WORKDIR: '/tmp/qpilot-bench',
  QPILOT_E2E_CLUSTER: 'qpilot-bench',
  QPILOT_E2E_DISABLE_QPS_LIMITS: '1',
};

/**
 * `test/e2e/cluster.sh ARGS` for a benchmark's own control plane (its own workdir and name, no
 * client rate limits); the last line it prints (`up`: the env file).
 */
export function benchCluster(args: string[]): string {
  const r = spawnSync('bash', [join(ROOT, 'test', 'e2e', 'cluster.sh'), ...args], {
    env: BENCH_CLUSTER_ENV,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`cluster.sh ${args.join(' ')} failed`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

/** Polls `probe` every 2 s until it holds, or fails after `timeoutMs`. */
export async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** `pods` tiny pods in ten Deployments `bulk-0…9` of `default`; resolves once all run. */
export async function bulkPods(kc: KubeConfig, pods: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 10; i++) {
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: `bulk-${i}` },
        spec: {
          replicas: pods / 10,
          selector: { matchLabels: { app: `bulk-${i}` } },
          template: {
            metadata: { labels: { app: `bulk-${i}` } },
            spec: {
              containers: [
                {
                  name: 'app',
                  image: 'registry.example/app:1',
                  resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '2m' } },
                },
              ],
            },
          },
        },
      },
    });
  }
  await until(
    `${pods} running pods`,
    async () =>
      (
        await core.listNamespacedPod({
          namespace: 'default',
          fieldSelector: 'status.phase=Running',
        })
      ).items.length >= pods,
    900_000,
  );
}

/** A process's CPU time so far, from /proc (fields 14 and 15 of its stat: ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
