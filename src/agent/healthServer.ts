/**
 * The agent's HTTP server (seed 003's heartbeat.py): `/healthz` while its components are
 * supervised, `/readyz` only when it is registered with the hub and connected (socket or
 * polling), and `/metrics` for Prometheus: system resources, each component's health and
 * restarts, bytes sent and received. Nothing here changes anything; it listens in the pod
 * for the kubelet's probes and a ServiceMonitor.
 */
import { statfs } from 'node:fs/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Supervisor } from './supervisor.js';

export interface AgentLink {
  registered(): boolean;
  /** How the agent reaches the hub now: its WebSocket, HTTP polling, or not at all. */
  channel(): 'websocket' | 'polling' | 'none';
  bytesSent(): number;
  bytesReceived(): number;
}

export interface AgentServerDeps {
  supervisor: Pick<Supervisor, 'health' | 'healthy'>;
  link: AgentLink;
  /** The outbox directory, whose disk usage /metrics reports. */
  dataDir: string;
  version: string;
}

export function buildAgentServer(deps: AgentServerDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qpilot_agent_' });
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const up = gauge(
    'qpilot_agent_component_up',
    'Whether each component runs (1) or is restarting (0)',
    ['component'],
  );
  const restarts = gauge(
    'qpilot_agent_component_restarts',
    'Restarts of each component since the agent started',
    ['component'],
  );
  const sent = gauge('qpilot_agent_sent_bytes', 'Bytes sent to the hub since the agent started');
  const received = gauge(
    'qpilot_agent_received_bytes',
    'Bytes received from the hub since the agent started',
  );
  const connected = gauge(
    'qpilot_agent_connected',
    'How the agent reaches the hub: 2 WebSocket, 1 HTTP polling, 0 not at all',
  );
  const diskFree = gauge('qpilot_agent_data_free_bytes', "Free bytes on the outbox's filesystem");

  app.get('/healthz', async (_req, reply) => {
    const components = deps.supervisor.health();
    const stopped = Object.values(components).some((c) => c.health === 'stopped');
    return reply.code(stopped ? 503 : 200).send({
      status: stopped ? 'stopped' : deps.supervisor.healthy() ? 'healthy' : 'degraded',
      version: deps.version,
      components,
    });
  });

  app.get('/readyz', async (_req, reply) => {
    const registered = deps.link.registered();
    const channel = deps.link.channel();
    const ready = registered && channel !== 'none';
    return reply.code(ready ? 200 : 503).send({
      ready,
      registered,
      channel,
      ...(ready
        ? {}
        : { reason: !registered ? 'not registered with the hub yet' : 'no connection to the hub' }),
    });
  });

  app.get('/metrics', async (_req, reply) => {
    for (const [name, c] of Object.entries(deps.supervisor.health())) {
      up.set({ component: name }, c.health === 'ok' ? 1 : 0);
      restarts.set({ component: name }, c.restarts);
    }
    sent.set(deps.link.bytesSent());
    received.set(deps.link.bytesReceived());
    const channel = deps.link.channel();
    connected.set(channel === 'websocket' ? 2 : channel === 'polling' ? 1 : 0);
    try {
      const fs = await statfs(deps.dataDir);
      diskFree.set(fs.bavail * fs.bsize);
    } catch {
      diskFree.reset();
    }
    return reply.header('content-type', registry.contentType).send(await registry.metrics());
  });

  return app;
}
