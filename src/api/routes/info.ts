/**
 * `GET /` (service information and its endpoints, as in seed 002), `GET /health` (liveness:
 * 200 while the process serves, with what is degraded) and `GET /ready` (readiness: 503 while
 * the cluster or the store cannot be reached, so that a Service stops sending traffic here).
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { QpError } from '../../core/errors.js';
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
    store: Type.Optional(
      Type.Object({
        description: Type.String(),
        status: Type.String(),
        error: Type.Optional(Type.String()),
      }),
    ),
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

  /** The cluster and the store, each asked once, at the same time. */
  interface Check {
    status: string;
    error?: string;
  }
  const check = async () => {
    const [cluster, store] = await Promise.all([
      deps.cluster.listNamespaces().then(
        (): Check & { kind: string } => ({ kind: deps.cluster.kind, status: 'ok' }),
        (err: unknown) => ({
          kind: deps.cluster.kind,
          status: 'unreachable',
          error: (err as Error).message,
        }),
      ),
      deps.store?.ping().then(
        (): Check & { description: string } => ({
          description: deps.store!.description,
          status: 'ok',
        }),
        (err: unknown) => ({
          description: deps.store!.description,
          status: 'unavailable',
          error: (err as Error).message,
        }),
      ),
    ]);
    return { cluster, store, ok: cluster.status === 'ok' && store?.status !== 'unavailable' };
  };

  app.get(
    '/health',
    { schema: { summary: 'Health check', tags: ['service'], response: { 200: Health } } },
    async () => {
      const { cluster, store, ok } = await check();
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
        status: ok && modelsOk ? ('healthy' as const) : ('degraded' as const),
        service: 'qpilot',
        version: deps.version,
        timestamp: new Date(deps.clock.now()).toISOString(),
        checks: { cluster, ...(store ? { store } : {}), ...(models ? { models } : {}) },
      };
    },
  );

  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: 200 when the cluster and the decision store answer, else 503',
        tags: ['service'],
        response: { 200: Type.Object({ success: Type.Literal(true), status: Type.String() }) },
      },
    },
    async () => {
      const { cluster, store, ok } = await check();
      if (ok) return { success: true as const, status: 'ready' };
      const why = [
        cluster.status === 'ok' ? undefined : `the cluster is unreachable: ${cluster.error}`,
        store?.status === 'unavailable'
          ? `${store.description} is unavailable: ${store.error}`
          : undefined,
      ].filter(Boolean);
      throw new QpError('QP_ERR_UNAVAILABLE', `not ready: ${why.join('; ')}`);
    },
  );
}
