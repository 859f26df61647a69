/**
 * `qpilot agent`: the in-cluster agent of seed 003, composed here. It reads seed 003's
 * environment (config/agentConfig.ts), reaches its own cluster through KubeCluster (the pod's
 * service account, or a kubeconfig), and runs its components under the supervisor: the
 * collector, the link to the hub and the heartbeat. `/healthz`, `/readyz` and `/metrics`
 * answer on PORT (8080). At SIGTERM it deregisters and stops its components.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Item } from '../agent/collector.js';
import { Collector } from '../agent/collector.js';
import { HubConnection } from '../agent/connection.js';
import { ActionExecutor } from '../agent/executor.js';
import { KubeAutopilotCalls } from '../cluster/kube/kubeAutopilots.js';
import { buildAgentServer } from '../agent/healthServer.js';
import { Heartbeat } from '../agent/heartbeat.js';
import { Outbox } from '../agent/outbox.js';
import { Supervisor } from '../agent/supervisor.js';
import { KubeCluster } from '../cluster/kube/kubeCluster.js';
import { loadKubeConfig, runningInCluster } from '../cluster/kube/kubeConfig.js';
import { KubeEventFeed } from '../cluster/kube/kubeEventFeed.js';
import { withRetry } from '../cluster/retry.js';
import { loadAgentConfig } from '../config/agentConfig.js';
import { RealClock } from '../core/clock.js';
import { Rng } from '../core/rng.js';
import { VERSION } from './version.js';

export interface AgentOptions {
  port: number;
  host?: string;
  dataDir: string;
  kubeconfig?: string;
  logLevel?: string;
}

export interface RunningAgent {
  url: string;
  close(): Promise<void>;
}

export async function startAgent(
  options: AgentOptions,
  io: { cwd: string; env: Record<string, string | undefined> },
): Promise<RunningAgent> {
  const dataDir = resolve(io.cwd, options.dataDir);
  const config = loadAgentConfig(io.env, () => keptAgentId(dataDir));
  const logger = pino({
    level: options.logLevel ?? 'info',
    base: { service: 'qpilot-agent', cluster: config.clusterId, agent: config.agentId },
    redact: ['apiKey', 'secretKey'],
  });
  const log = (component: string) => (message: string) => logger.info({ component }, message);
  if (config.generatedAgentId)
    log('main')(
      `AGENT_ID is not set: this agent is ${config.agentId} (kept in ${join(dataDir, 'agent-id')} across restarts)`,
    );
  const clock = new RealClock();
  const loaded = loadKubeConfig({
    inCluster: 'auto',
    kubeconfigPath: options.kubeconfig,
    env: io.env,
  });
  const kube = new KubeCluster(loaded.kc, clock, { identity: `qpilot-agent-${config.agentId}` });
  const cluster = withRetry(kube, {
    clock,
    rng: new Rng('agent-retry'),
    attempts: 3,
    baseDelayMs: 100,
    maxDelayMs: 1000,
  });
  const intervals = {
    collectionSec: config.collectionIntervalSec,
    pollSec: config.actionPollIntervalSec,
    batchSize: config.batchSize,
  };
  const events = new KubeEventFeed(loaded.kc, {
    requestTimeoutMs: 10_000,
    onError: (err) =>
      logger.warn(
        { component: 'collector', err: String(err) },
        'the event watch broke; it is retried',
      ),
  });
  const outbox = await Outbox.open<Item>(join(dataDir, 'outbox'));
  const executor = new ActionExecutor({
    cluster,
    // The hub's Autopilot controller reads and writes the cluster's Autopilots through us.
    autopilots: new KubeAutopilotCalls(loaded.kc, { requestTimeoutMs: 10_000 }),
    clock,
    secretKey: config.secretKey,
    enabled: config.actions,
    log: (level, message) => logger[level]({ component: 'actuator' }, message),
  });
  const link = new HubConnection({
    backendUrl: config.backendUrl,
    backendWsUrl: config.backendWsUrl,
    apiKey: config.apiKey,
    clusterId: config.clusterId,
    agentId: config.agentId,
    version: VERSION,
    pollIntervalSec: () => intervals.pollSec,
    clock,
    rng: new Rng(`agent-${config.agentId}`),
    executor,
    outbox,
    onConfig: (c) => {
      if (c.collectionIntervalSec) intervals.collectionSec = c.collectionIntervalSec;
      if (c.actionPollIntervalSec) intervals.pollSec = c.actionPollIntervalSec;
      if (c.batchSize) intervals.batchSize = c.batchSize;
    },
    log: (level, message) => logger[level]({ component: 'websocket_client' }, message),
  });
  const supervisor = new Supervisor(clock, (component, err, inMs) =>
    logger.warn(
      { component, err: String(err) },
      `${component} failed; restarting it in ${Math.round(inMs / 1000)} s`,
    ),
  );
  const collector = new Collector({
    cluster,
    events,
    outbox,
    clock,
    intervalSec: () => intervals.collectionSec,
    batchSize: () => intervals.batchSize,
    log: log('collector'),
  });
  const heartbeat = new Heartbeat({
    link,
    supervisor,
    clock,
    intervalSec: () => 30,
    log: log('heartbeat'),
  });
  void events.start();
  supervisor.start([collector, link, heartbeat]);
  const app = buildAgentServer({ supervisor, link, dataDir: outbox.directory, version: VERSION });
  const inCluster = runningInCluster({ env: io.env });
  const address = await app.listen({
    port: options.port,
    host: options.host || (inCluster ? '0.0.0.0' : '127.0.0.1'),
  });
  const url = address.replace('127.0.0.1', 'localhost');
  logger.info(
    { url, server: loaded.server, credentials: loaded.source, backend: config.backendUrl.origin },
    `qpilot agent ${VERSION} for cluster ${config.clusterId} serving ${url}`,
  );
  return {
    url,
    close: async () => {
      await link.deregister('the agent is stopping (SIGTERM)');
      await supervisor.stop();
      await events.stop();
      await app.close();
      logger.info({ component: 'main' }, 'Agent stopped');
    },
  };
}

/**
 * A generated AGENT_ID, kept in the data directory so that a restarted agent (the same pod, or
 * one with the same volume) is the same agent to its hub; a new one the first time.
 */
export function keptAgentId(dataDir: string): string {
  const file = join(dataDir, 'agent-id');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9][-_.A-Za-z0-9]{0,126}[A-Za-z0-9]$/.test(kept)) return kept;
  } catch {
    // None yet.
  }
  const id = `agent-${randomUUID().slice(0, 8)}`;
  try {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${id}\n`);
  } catch {
    // A read-only data directory: the id lasts as long as the process.
  }
  return id;
}
