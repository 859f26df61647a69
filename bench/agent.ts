/**
 * `qpilot agent` on a cluster of 50 kwok nodes, idle and then with 5,000 pods, collecting every
 * 5 s for a hub (`qpilot serve`) on loopback: its resident memory (target ≤ 100 MB with 5,000
 * pods), read from /proc, as `qpilot agent` runs it and as the chart does (its bundle and V8
 * flags); then the latency of a signed scale action hub → agent → API server →
 * result over the WebSocket (target ≤ 1 s), beside the same action while the agent can only
 * poll (ACTION_POLL_INTERVAL 10, as CAST AI's agent polls every 5-15 s). Both processes run
 * the build (`npm run build`), as in the image.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { BENCH_DIR, benchCluster, bulkPods, emit, median, until, cpuSecondsOf } from './lib.js';

const ROOT = join(BENCH_DIR, '..');
const PODS = 5000;
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const BUNDLE = join(ROOT, 'dist', 'bundle', 'agent.mjs');

interface Proc {
  child: ChildProcess;
  url: Promise<string>;
  output: () => string;
}

function start(
  args: string[],
  env: Record<string, string>,
  nodeFlags: string[] = [],
  entry = MAIN,
): Proc {
  const child = spawn(process.execPath, [...nodeFlags, entry, ...args, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, QPILOT_DATA_DIR: mkdtempSync(join(tmpdir(), 'qpilot-bench-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /"url":"(http:\/\/localhost:\d+)"/.exec(out);
      if (m) resolve(m[1]!.replace('localhost', '127.0.0.1'));
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out.slice(-2000)}`)));
  });
  return { child, url, output: () => out };
}

async function stop(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null) return;
  p.child.kill('SIGTERM');
  await new Promise((r) => p.child.once('exit', r));
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** RSS of each process every half second for `ms`: the median and the peak of each. */
async function sampleRss(pids: number[], ms: number): Promise<{ median: number; peak: number }[]> {
  const samples: number[][] = pids.map(() => []);
  const end = performance.now() + ms;
  while (performance.now() < end) {
    pids.forEach((pid, i) => samples[i]!.push(rssMb(pid)));
    await new Promise((r) => setTimeout(r, 500));
  }
  return samples.map((s) => ({ median: median(s), peak: Math.max(...s) }));
}

/**
 * The agent as `qpilot agent` runs it (node's defaults, its modules loaded one by one), and as
 * the chart runs it: the bundle, with the chart's V8 flags.
 */
const VARIANTS: { name: string; flags: string[]; entry: string }[] = [
  { name: 'default', flags: [], entry: MAIN },
  // (--lite-mode would save more, but it takes WebAssembly away, and with it fetch.)
  { name: 'chart', flags: ['--max-semi-space-size=1', '--optimize-for-size'], entry: BUNDLE },
];

async function json(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Times `n` scale actions through the hub, alternating the target between 1 and 2 pods. */
async function timeActions(hub: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await json(`${hub}/clusters/bench/actions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'scale',
        namespace: 'default',
        name: 'target',
        replicas: 1 + ((i + 1) % 2),
      }),
    });
    ms.push(performance.now() - t0);
  }
  return ms;
}

export async function agentBench(): Promise<void> {
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  let hub: Proc | undefined;
  const agents: Proc[] = [];
  try {
    const e2e = JSON.parse(readFileSync(benchCluster(['up', '50']), 'utf8')) as {
      kubeconfig: string;
    };
    const kc = new KubeConfig();
    kc.loadFromFile(e2e.kubeconfig);
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'target' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'target' } },
          template: {
            metadata: { labels: { app: 'target' } },
            spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
          },
        },
      },
    });
    hub = start(['serve', '--cluster', 'sim', '--auto-scale-enabled', 'false'], {});
    const hubUrl = await hub.url;
    const register = (id: string) =>
      json(`${hubUrl}/clusters`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
      });
    const agentEnv = (
      id: string,
      made: Record<string, unknown>,
      extra: Record<string, string> = {},
    ) => ({
      BACKEND_URL: `${hubUrl}/`,
      BACKEND_WS_URL: `${hubUrl.replace('http', 'ws')}/ws`,
      API_KEY: made.api_key as string,
      SECRET_KEY: made.secret_key as string,
      CLUSTER_ID: id,
      AGENT_ID: `${id}-agent`,
      COLLECTION_INTERVAL: '5',
      ...extra,
    });
    const keys: Record<string, Record<string, unknown>> = {};
    for (const v of VARIANTS) {
      const id = v.name === 'chart' ? 'bench' : `bench-${v.name}`;
      keys[id] = await register(id);
      const p = start(
        ['agent', '--kubeconfig', e2e.kubeconfig],
        agentEnv(id, keys[id]),
        v.flags,
        v.entry,
      );
      agents.push(p);
      await p.url;
    }
    const channel = async (id = 'bench') => {
      const c = (await json(`${hubUrl}/clusters/${id}`)).cluster as {
        agents: { channel: string }[];
      };
      return c.agents[0]?.channel;
    };
    await until('the agent on its socket', async () => (await channel()) === 'websocket', 60_000);
    const pids = agents.map((a) => a.child.pid!);
    const idle = await sampleRss(pids, 30_000);

    await bulkPods(kc, PODS);
    const podItems = async () => {
      const c = (await json(`${hubUrl}/clusters/bench`)).cluster as {
        ingest: { kind: string; items: number }[];
      };
      return c.ingest.find((t) => t.kind === 'pod_metrics')?.items ?? 0;
    };
    const before = await podItems();
    const cpu0 = pids.map(cpuSecondsOf);
    const loaded = await sampleRss(pids, 60_000);
    const cpuShare = pids.map((pid, i) => (cpuSecondsOf(pid) - cpu0[i]!) / 60);
    const itemsPerRound = ((await podItems()) - before) / 12;

    await timeActions(hubUrl, 2);
    const socketMs = await timeActions(hubUrl, 20);

    for (const a of agents.splice(0)) await stop(a);
    const poller = start(
      ['agent', '--kubeconfig', e2e.kubeconfig],
      agentEnv('bench', keys.bench!, {
        BACKEND_WS_URL: 'ws://127.0.0.1:1/ws',
        ACTION_POLL_INTERVAL: '10',
      }),
      VARIANTS[1]!.flags,
      BUNDLE,
    );
    agents.push(poller);
    await until('the agent polling', async () => (await channel()) === 'polling', 60_000);
    const pollingMs = await timeActions(hubUrl, 5);

    emit({
      bench: 'agent',
      nodes: 50,
      pods: PODS,
      collectionIntervalSec: 5,
      ...Object.fromEntries(
        VARIANTS.flatMap((v, i) => [
          [`${v.name}IdleRssMb`, Math.round(idle[i]!.median)],
          [`${v.name}RssMb`, Math.round(loaded[i]!.median)],
          [`${v.name}PeakRssMb`, Math.round(loaded[i]!.peak)],
        ]),
      ),
      ...Object.fromEntries(
        VARIANTS.map((v, i) => [`${v.name}CpuShareLoaded`, Number(cpuShare[i]!.toFixed(3))]),
      ),
      chartFlags: VARIANTS[1]!.flags.join(' '),
      targetRssMb: 100,
      podItemsPerCollection: Math.round(itemsPerRound),
      socketActionMsP50: Math.round(median(socketMs)),
      socketActionMsMax: Math.round(Math.max(...socketMs)),
      pollingActionMsP50: Math.round(median(pollingMs)),
      pollingOverSocket: Number((median(pollingMs) / median(socketMs)).toFixed(1)),
      targetActionMs: 1000,
    });
  } finally {
    for (const a of agents) await stop(a);
    await stop(hub);
    benchCluster(['down']);
  }
}
