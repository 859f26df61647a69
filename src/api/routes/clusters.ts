/**
 * The clusters the hub steers through agents, for operators: `POST /clusters` registers one
 * and shows its keys once; `GET /clusters` and `GET /clusters/:id` list them with their
 * agents' last heartbeat, version, health and channel, and what they ingested;
 * `GET /clusters/:id/batches` shows the newest batches of a kind; `POST /clusters/:id/actions`
 * records a signed action, sends it to the cluster's agent and answers with its result, and
 * `GET /clusters/:id/actions` lists what was sent and what became of it.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { callId, resultError } from '../../cluster/agent/switchboard.js';
import { QpError, isQpError } from '../../core/errors.js';
import { type Action, ActionSchema, type CallResult } from '../../core/protocol.js';
import type { HubActionOutcome } from '../../store/hubStore.js';
import type { AppDeps } from '../deps.js';
import type { ScalingService } from '../../controller/scalingService.js';
import type { AgentView, ClusterView } from '../hub/agentHub.js';
import { ClusterIdSchema, errorResponses } from '../schemas.js';

const Open = Type.Object({}, { additionalProperties: true });
const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

function agentJson(a: AgentView) {
  const h = a.heartbeat as
    { components?: Record<string, string>; restarts?: number; rssBytes?: number } | undefined;
  const components = h?.components ?? {};
  const healthy =
    a.deregisteredMs === undefined && Object.values(components).every((c) => c === 'ok');
  return {
    agent_id: a.agentId,
    version: a.version,
    actions: a.actions,
    channel: a.channel,
    registered_at: iso(a.registeredMs),
    last_seen_at: iso(a.lastSeenMs),
    last_heartbeat_at: iso(a.lastHeartbeatMs),
    health: a.deregisteredMs !== undefined ? 'deregistered' : healthy ? 'ok' : 'degraded',
    components,
    restarts: h?.restarts ?? 0,
    rss_bytes: h?.rssBytes ?? null,
    ...(a.deregisteredMs !== undefined
      ? { deregistered_at: iso(a.deregisteredMs), deregister_reason: a.deregisterReason ?? '' }
      : {}),
  };
}

/** How qpilot steers the cluster (ADR 17): its loop and settings in brief; null when it does not. */
function steeringJson(scaling: ScalingService | undefined) {
  if (!scaling) return null;
  const s = scaling.loopStatus();
  return {
    enabled: s.enabled,
    running: s.running,
    dry_run: s.dry_run,
    cycles: s.cycles,
    last_cycle_at: s.last_cycle?.started_at ?? null,
  };
}

function clusterJson(c: ClusterView, scaling: ScalingService | undefined) {
  return {
    id: c.id,
    name: c.name,
    created_at: iso(c.createdMs),
    reachable: c.reachable,
    steering: steeringJson(scaling),
    agents: c.agents.map(agentJson),
    ingest: c.ingest.map((t) => ({
      kind: t.kind,
      batches: t.batches,
      items: t.items,
      last_collected_at: iso(t.lastCollectedMs),
    })),
  };
}

/** An action as an operator sends it: the protocol's, without its id (the hub gives one). */
const ActionBody = Type.Union(
  ActionSchema.anyOf.map((s) => Type.Omit(s, ['id'], { additionalProperties: false })),
);

export function clusterRoutes(app: FastifyInstance, deps: AppDeps): void {
  const hub = deps.hub;
  if (!hub) return;
  const steeredBy = (id: string) =>
    id === deps.homeClusterId ? deps.scaling : deps.fleet?.member(id)?.scaling;
  const json = (c: ClusterView) => clusterJson(c, steeredBy(c.id));

  app.post(
    '/clusters',
    {
      schema: {
        summary: "Register a cluster; its agent's API key and secret key are shown once",
        tags: ['hub'],
        body: Type.Object(
          {
            id: ClusterIdSchema,
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Open, 409: errorResponses[400], ...errorResponses },
      },
    },
    async (request, reply) => {
      const { id, name } = request.body as { id: string; name?: string };
      const made = await hub.hub.createCluster(id, name ?? id);
      request.log.info({ cluster: id }, 'cluster registered');
      return reply.code(201).send({
        success: true,
        cluster: { id, name: made.cluster.name, created_at: iso(made.cluster.createdMs) },
        // Shown once: the hub keeps only a digest of the API key.
        api_key: made.apiKey,
        secret_key: made.secretKey,
        agent_env: { CLUSTER_ID: id, API_KEY: made.apiKey, SECRET_KEY: made.secretKey },
      });
    },
  );

  app.get(
    '/clusters',
    {
      schema: {
        summary: 'Clusters and their agents: last heartbeat, version, health and channel',
        tags: ['hub'],
        response: { 200: Open, ...errorResponses },
      },
    },
    async () => ({ success: true, clusters: (await hub.hub.clusters()).map(json) }),
  );

  app.get(
    '/clusters/:id',
    {
      schema: {
        summary: 'One cluster, its agents and what they ingested',
        tags: ['hub'],
        params: Type.Object({ id: ClusterIdSchema }),
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      return { success: true, cluster: json(await hub.hub.cluster(id)) };
    },
  );

  app.delete(
    '/clusters/:id',
    {
      schema: {
        summary:
          'Forget a cluster: its keys, agents, batches and actions; its controller stops (its decisions stay until retention)',
        tags: ['hub'],
        params: Type.Object({ id: ClusterIdSchema }),
        response: { 200: Open, 409: errorResponses[400], ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      if (id === deps.homeClusterId)
        throw new QpError(
          'QP_ERR_CONFLICT',
          `cluster "${id}" is this qpilot's home cluster (--agent-cluster): it cannot be deleted while qpilot steers it`,
          { cluster: id },
        );
      await hub.hub.deleteCluster(id);
      request.log.info({ cluster: id }, 'cluster deleted');
      return {
        success: true,
        message: `cluster "${id}" deleted; its agents are refused from now on`,
      };
    },
  );

  app.get(
    '/clusters/:id/batches',
    {
      schema: {
        summary: 'The newest batches an agent sent of one kind',
        tags: ['hub'],
        params: Type.Object({ id: ClusterIdSchema }),
        querystring: Type.Object({
          kind: Type.Enum(['pod_metrics', 'node_metrics', 'nodes', 'events']),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
        }),
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { kind, limit } = request.query as { kind: string; limit?: number };
      await hub.hub.cluster(id);
      const batches = await hub.store.batches(id, kind, limit ?? 10);
      return {
        success: true,
        batches: batches.map((b) => ({
          idempotency_key: b.idempotencyKey,
          agent_id: b.agentId,
          seq: b.seq,
          collected_at: iso(b.collectedAtMs),
          received_at: iso(b.receivedMs),
          items: b.items,
        })),
      };
    },
  );

  app.get(
    '/clusters/:id/actions',
    {
      schema: {
        summary: "The newest actions operators sent to the cluster's agent, and their outcomes",
        tags: ['hub'],
        params: Type.Object({ id: ClusterIdSchema }),
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
        }),
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { limit } = request.query as { limit?: number };
      await hub.hub.cluster(id);
      return {
        success: true,
        actions: (await hub.store.actions(id, limit ?? 50)).map((a) => ({
          id: a.id,
          type: a.type,
          action: a.action,
          requested_at: iso(a.requestedMs),
          outcome: a.outcome,
          message: a.message ?? null,
          ...(a.result !== undefined ? { result: a.result } : {}),
          settled_at: iso(a.settledMs),
        })),
      };
    },
  );

  app.post(
    '/clusters/:id/actions',
    {
      schema: {
        summary: "Send a signed action to the cluster's agent and wait for its result",
        tags: ['hub'],
        params: Type.Object({ id: ClusterIdSchema }),
        body: ActionBody,
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await hub.hub.cluster(id);
      const action = { ...(request.body as object), id: callId() } as Action;
      // Recorded before it is sent (one path to the cluster): a store that cannot record it
      // answers 503 and nothing is sent.
      await hub.store.recordAction({
        clusterId: id,
        id: action.id,
        type: action.type,
        action: action,
        requestedMs: hub.hub.now(),
        outcome: 'pending',
      });
      request.log.info(
        { cluster: id, action: action.type, id: action.id },
        'sending an action to an agent',
      );
      const settle = async (outcome: HubActionOutcome, message: string, result?: unknown) => {
        try {
          await hub.store.settleAction(id, action.id, {
            outcome,
            message,
            ...(result !== undefined ? { result } : {}),
            settledMs: hub.hub.now(),
          });
        } catch (err) {
          // The action's fate is known and answered; its record stays pending, which says
          // "unknown", never something false.
          request.log.warn(
            { cluster: id, id: action.id, err: String(err) },
            'could not settle the record of an action',
          );
        }
      };
      const timeoutMs = 60_000 + (action.type === 'drain' ? action.timeoutSec * 1000 : 0);
      /**
       * What a failure leaves on record. Never sent (503), refused by the agent, or rejected
       * as a bad request by the protocol or the cluster (4xx): nothing changed, so the store
       * is left as it was too, as the local actuator forgets an operator's refused request.
       * Sent and unanswered (504): it may have happened. Failed in the agent's cluster: failed.
       */
      const failed = async (err: QpError, sent: boolean): Promise<never> => {
        if (err.status < 500 || (!sent && err.code === 'QP_ERR_UNAVAILABLE'))
          await hub.store
            .discardAction(id, action.id)
            .catch((e: unknown) =>
              request.log.warn(
                { cluster: id, id: action.id, err: String(e) },
                'could not discard the record of an action that changed nothing',
              ),
            );
        else await settle(err.code === 'QP_ERR_TIMEOUT' ? 'unanswered' : 'failed', err.message);
        throw err;
      };
      let result: CallResult;
      try {
        result = await hub.switchboard.call(id, { kind: 'action', action }, timeoutMs);
      } catch (err) {
        return failed(isQpError(err) ? err : new QpError('QP_ERR_INTERNAL', String(err)), false);
      }
      if (result.outcome !== 'succeeded') return failed(resultError(id, result), true);
      await settle(result.outcome, result.message, result.value);
      return {
        success: true,
        action,
        outcome: result.outcome,
        message: result.message,
        finished_at: iso(result.finishedAtMs),
        ...(result.value !== undefined ? { result: result.value } : {}),
      };
    },
  );
}
