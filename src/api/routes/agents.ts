/**
 * The agents' channels into the hub (docs/protocol.md): `POST /agents/register`, `heartbeat`,
 * `ingest`, `results` and `deregister`, `GET /agents/actions`, and the WebSocket at `/ws`.
 * Agents authenticate with their cluster's API key (`Authorization: Bearer`, and
 * `X-Qpilot-Cluster`), not with qpilot's API token; every message is validated against the
 * protocol's schema and refused by field, never guessed at.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { WebSocket } from 'ws';
import { QpError } from '../../core/errors.js';
import { type AgentMessage, parseMessage } from '../../core/protocol.js';
import type { AppDeps } from '../deps.js';
import type { AgentHub } from '../hub/agentHub.js';
import { errorResponses } from '../schemas.js';
import { bearer } from '../security.js';

const Open = Type.Object({}, { additionalProperties: true });
/** A batch of up to 10,000 items, each a pod's or a node's few fields. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

const ROUTES: Record<string, AgentMessage['type']> = {
  register: 'register',
  heartbeat: 'heartbeat',
  ingest: 'ingest',
  results: 'result',
  deregister: 'deregister',
};

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v : undefined;
}

async function authenticate(hub: AgentHub, request: FastifyRequest): Promise<string> {
  return hub.authenticate(header(request, 'x-qpilot-cluster'), bearer(request));
}

function parse(text: unknown, expected?: AgentMessage['type']): AgentMessage {
  const parsed = parseMessage('agent', text);
  if (!parsed.ok) throw new QpError('QP_ERR_INVALID_ARGUMENT', parsed.error);
  if (expected && parsed.message.type !== expected)
    throw new QpError(
      'QP_ERR_INVALID_ARGUMENT',
      `this route takes a "${expected}" message, not "${parsed.message.type}"`,
    );
  return parsed.message;
}

export function agentRoutes(app: FastifyInstance, deps: AppDeps): void {
  const hub = deps.hub;
  if (!hub) return;
  /** A standby replica takes no agent: the leader's controllers must be the ones that reach them. */
  const requireLeader = () => {
    const l = hub.leadership;
    if (l && !l.isLeader())
      throw new QpError(
        'QP_ERR_UNAVAILABLE',
        `this qpilot is a standby; agents connect to the leader (${l.holder() ?? 'none yet'}): retry`,
      );
  };

  for (const [path, type] of Object.entries(ROUTES)) {
    app.post(
      `/agents/${path}`,
      {
        bodyLimit: MAX_MESSAGE_BYTES,
        schema: {
          summary: `An agent's ${type} message (docs/protocol.md); authenticated by its cluster's API key`,
          tags: ['hub'],
          body: Type.Unknown(),
          response: { 200: Open, ...errorResponses },
        },
      },
      async (request) => {
        const clusterId = await authenticate(hub.hub, request);
        requireLeader();
        const reply = await hub.hub.handle(clusterId, parse(request.body, type));
        return reply ?? {};
      },
    );
  }

  app.get(
    '/agents/actions',
    {
      schema: {
        summary: "An agent's poll for actions and queries while its WebSocket is down",
        tags: ['hub'],
        querystring: Type.Object({
          agent: Type.String({ pattern: '^[A-Za-z0-9][-_.A-Za-z0-9]{0,127}$' }),
        }),
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const clusterId = await authenticate(hub.hub, request);
      requireLeader();
      const { agent } = request.query as { agent: string };
      return { messages: hub.switchboard.poll(clusterId, agent) };
    },
  );

  // The WebSocket: authenticated before the upgrade, so a wrong key is a plain 401.
  app.get(
    '/ws',
    {
      websocket: true,
      schema: { summary: "An agent's WebSocket (docs/protocol.md)", tags: ['hub'] },
      preValidation: async (request) => {
        const clusterId = await authenticate(hub.hub, request);
        requireLeader();
        const agentId = header(request, 'x-qpilot-agent');
        if (!agentId || !/^[A-Za-z0-9][-_.A-Za-z0-9]{0,127}$/.test(agentId))
          throw new QpError(
            'QP_ERR_INVALID_ARGUMENT',
            'header "X-Qpilot-Agent" must name the agent (its AGENT_ID)',
          );
        (request as FastifyRequest & { agentLink?: object }).agentLink = { clusterId, agentId };
      },
    },
    (socket: WebSocket, request) => {
      const { clusterId, agentId } = (
        request as FastifyRequest & { agentLink: { clusterId: string; agentId: string } }
      ).agentLink;
      const log = request.log.child({ cluster: clusterId, agent: agentId });
      const detach = hub.switchboard.attach(
        clusterId,
        agentId,
        (m) => socket.send(JSON.stringify(m)),
        // 1012 "service restart": the agent reconnects, and finds the leader.
        () => socket.close(1012, 'this qpilot stopped leading'),
      );
      hub.onSocket?.(clusterId, agentId, true);
      socket.on('message', (data: Buffer) => {
        void (async () => {
          let json: unknown;
          try {
            json = JSON.parse(data.toString('utf8'));
            const reply = await hub.hub.handle(clusterId, parse(json));
            if (reply && socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply));
          } catch (err) {
            // An invalid message is refused by name in the log; the socket stays up.
            log.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'agent message refused',
            );
          }
        })();
      });
      socket.on('close', () => {
        detach();
        hub.onSocket?.(clusterId, agentId, false);
      });
    },
  );
}
