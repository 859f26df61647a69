/**
 * A real hub and real agents on loopback, for the hub's tests: the app with its agent routes
 * and WebSocket listening on a port, a SQLite store, and agents made of the agent's own
 * HubConnection, outbox and executor in front of a simulated cluster. Only the cluster behind
 * the agent is simulated; every byte between agent and hub crosses a real socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Item } from '../../agent/collector.js';
import { HubConnection } from '../../agent/connection.js';
import { ActionExecutor } from '../../agent/executor.js';
import { Outbox } from '../../agent/outbox.js';
import { Switchboard } from '../../cluster/agent/switchboard.js';
import type { ClusterClient } from '../../cluster/clusterClient.js';
import type { AutopilotCalls } from '../../cluster/autopilot.js';
import { SimCluster } from '../../cluster/sim/simCluster.js';
import { RealClock } from '../../core/clock.js';
import { Rng } from '../../core/rng.js';
import { openStore, type Store } from '../../store/openStore.js';
import { AgentHub, type HubEvents } from '../hub/agentHub.js';
import type { Leadership } from '../../controller/scalingService.js';
import type { QpilotConfig } from '../../config/config.js';
import { type SimApp, simApp } from './simApp.js';

export interface TestHub {
  t: SimApp;
  hub: AgentHub;
  switchboard: Switchboard;
  store: Store;
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  events: { duplicates: number; ingested: number; unexpected: string[] };
  close(): Promise<void>;
}

export async function startTestHub(
  options: {
    dir?: string;
    port?: number;
    events?: HubEvents;
    leadership?: Leadership;
    config?: Partial<QpilotConfig>;
  } = {},
): Promise<TestHub> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'qpilot-hub-'));
  const clock = new RealClock();
  const store = await openStore({ dataDir: dir, cwd: dir, nowMs: clock.now() });
  const late: { hub?: AgentHub } = {};
  const switchboard = new Switchboard({ clock, secretKey: (id) => late.hub?.secretKey(id) });
  const events = { duplicates: 0, ingested: 0, unexpected: [] as string[] };
  const hub = new AgentHub({
    store: store.hub,
    switchboard,
    clock,
    events: {
      ...options.events,
      ingested: (c, k, n, duplicate) => {
        if (duplicate) events.duplicates++;
        else events.ingested++;
        options.events?.ingested?.(c, k, n, duplicate);
      },
      unexpectedResult: (c, id, outcome, message) => {
        events.unexpected.push(`${id} ${outcome} ${message}`);
      },
    },
  });
  late.hub = hub;
  await hub.load();
  const t = await simApp({
    ...(options.config ? { config: options.config } : {}),
    hub: {
      hub,
      switchboard,
      store: store.hub,
      ...(options.leadership ? { leadership: options.leadership } : {}),
    },
  });
  const address = await t.app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const port = Number(new URL(address).port);
  return {
    t,
    hub,
    switchboard,
    store,
    url: `http://127.0.0.1:${port}/`,
    port,
    events,
    close: async () => {
      switchboard.close();
      await t.app.close();
      await store.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestAgent {
  link: HubConnection;
  outbox: Outbox<Item>;
  sim: SimCluster;
  logs: string[];
  /** Stops the link as a kill would: no deregistration. */
  kill(): Promise<void>;
  /** Deregisters, then stops. */
  stop(): Promise<void>;
}

export async function startTestAgent(options: {
  url: string;
  wsUrl?: string;
  clusterId: string;
  apiKey: string;
  secretKey: string;
  agentId?: string;
  outboxDir?: string;
  sim?: SimCluster;
  /** A real cluster behind the agent instead of the simulated one. */
  cluster?: ClusterClient;
  /** The cluster's Autopilots, as the agent reads and writes them. */
  autopilots?: AutopilotCalls;
  firstBackoffMs?: number;
  resendAfterMs?: number;
  pollIntervalSec?: number;
}): Promise<TestAgent> {
  const clock = new RealClock();
  const sim = options.sim ?? remoteSim(clock);
  const outbox = await Outbox.open<Item>(
    options.outboxDir ?? mkdtempSync(join(tmpdir(), 'qpilot-outbox-')),
  );
  const logs: string[] = [];
  const executor = new ActionExecutor({
    cluster: options.cluster ?? sim,
    ...(options.autopilots ? { autopilots: options.autopilots } : {}),
    clock,
    secretKey: options.secretKey,
    log: (level, m) => logs.push(`${level} ${m}`),
  });
  const link = new HubConnection({
    backendUrl: new URL(options.url),
    backendWsUrl: new URL(options.wsUrl ?? `${options.url.replace(/^http/, 'ws')}ws`),
    apiKey: options.apiKey,
    clusterId: options.clusterId,
    agentId: options.agentId ?? 'agent-1',
    version: '0.0.0-test',
    pollIntervalSec: () => options.pollIntervalSec ?? 1,
    clock,
    rng: new Rng('test-agent'),
    executor,
    outbox,
    log: (level, m) => logs.push(`${level} ${m}`),
    ...(options.firstBackoffMs ? { firstBackoffMs: options.firstBackoffMs } : {}),
    ...(options.resendAfterMs ? { resendAfterMs: options.resendAfterMs } : {}),
  });
  const controller = new AbortController();
  const running = link.run(controller.signal);
  const halt = async () => {
    controller.abort();
    await running;
  };
  return {
    link,
    outbox,
    sim,
    logs,
    kill: halt,
    stop: async () => {
      await link.deregister('the test is over');
      await halt();
    },
  };
}

/** The cluster behind a test agent: two nodes and a Deployment `web` of two pods. */
export function remoteSim(clock = new RealClock()): SimCluster {
  const sim = new SimCluster(clock, { seed: 'remote' });
  for (const name of ['remote-1', 'remote-2']) sim.addNode({ name, cpu: '4', memory: '16Gi' });
  sim.createDeployment({
    name: 'web',
    replicas: 2,
    labels: { app: 'web' },
    containers: [{ name: 'app', requests: { cpu: '250m', memory: '128Mi' } }],
  });
  sim.sync();
  return sim;
}

/** Polls `get` until it returns something truthy, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  get: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A TCP proxy on loopback in front of the hub, which can cut every connection through it at
 * once (a flaky network between an agent and its hub), or refuse new ones.
 */
export interface CuttingProxy {
  url: string;
  /** Destroys every open connection; how many there were. */
  cut(): number;
  /** While down, new connections are dropped at once. */
  down: boolean;
  close(): Promise<void>;
}

export async function cuttingProxy(targetPort: number): Promise<CuttingProxy> {
  const pairs = new Set<{ a: Socket; b: Socket }>();
  const state = { down: false };
  const server = createServer((a) => {
    if (state.down) {
      a.destroy();
      return;
    }
    const b = connect(targetPort, '127.0.0.1');
    const pair = { a, b };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      a.destroy();
      b.destroy();
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
    a.pipe(b);
    b.pipe(a);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    get down() {
      return state.down;
    },
    set down(v: boolean) {
      state.down = v;
    },
    cut: () => {
      const n = pairs.size;
      for (const p of [...pairs]) {
        p.a.destroy();
        p.b.destroy();
      }
      pairs.clear();
      return n;
    },
    close: async () => {
      for (const p of pairs) {
        p.a.destroy();
        p.b.destroy();
      }
      await new Promise((r) => server.close(r));
    },
  };
}
