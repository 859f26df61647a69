/** `GET /` (service information and its endpoints, as in seed 002) and `GET /health`. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../deps.js';
import { FALLBACK_POLICY } from '../../policies/servingModels.js';

const Health = Type.Object({
  status: Type.Union([Type.Literal('healthy'), Type.Literal('degraded')]),
  service: Type.String(),
  version: Type.String(),
  timestamp: Type.String({ format: 'date-time' }),
  checks: Type.Object({
    cluster: Type.Object({
      kind: Type.String(),
      status: Type.String(),
      error: Type.Optional(Type.String()),
    }),
    models: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object({
          status: Type.String(),
          error: Type.Optional(Type.String()),
          fallback: Type.Optional(Type.String()),
        }),
      ),
    ),
  }),
});

export function infoRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  endpoints: Map<string, string>,
): void {
  app.get(
    '/',
    {
      schema: {
        summary: 'Service information and the list of endpoints',
        tags: ['service'],
        response: {
          200: Type.Object({
            service: Type.String(),
            version: Type.String(),
            description: Type.String(),
            cluster: Type.String(),
            documentation: Type.String(),
            endpoints: Type.Record(Type.String(), Type.String()),
          }),
        },
      },
    },
    () => ({
      service: 'qpilot',
      version: deps.version,
      description: 'Reinforcement-learning autopilot for Kubernetes workloads',
      cluster: deps.cluster.kind,
      documentation: '/docs',
      endpoints: Object.fromEntries(endpoints),
    }),
  );

  app.get(
    '/health',
    { schema: { summary: 'Health check', tags: ['service'], response: { 200: Health } } },
    async () => {
      let cluster: { kind: string; status: string; error?: string } = {
        kind: deps.cluster.kind,
        status: 'ok',
      };
      try {
        await deps.cluster.listNamespaces();
      } catch (err) {
        cluster = { kind: deps.cluster.kind, status: 'unreachable', error: (err as Error).message };
      }
      const models = deps.models
        ? Object.fromEntries(
            Object.values(deps.models).map((m) => [
              m.policy,
              m.status === 'loaded'
                ? { status: 'loaded' }
                : { status: 'unavailable', error: m.error, fallback: FALLBACK_POLICY[m.policy] },
            ]),
          )
        : undefined;
      const modelsOk =
        !deps.models || Object.values(deps.models).every((m) => m.status === 'loaded');
      return {
        status: cluster.status === 'ok' && modelsOk ? ('healthy' as const) : ('degraded' as const),
        service: 'qpilot',
        version: deps.version,
        timestamp: new Date(deps.clock.now()).toISOString(),
        checks: models ? { cluster, models } : { cluster },
      };
    },
  );
}
