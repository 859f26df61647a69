/** Seed 002's `GET /decisions` and `GET /statistics`. */
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import type { AppDeps, ScopeOf } from '../deps.js';
import { notFound } from '../../core/errors.js';
import { decisionObjectView, decisionSummaryView, statisticsView } from '../decisionViews.js';
import { errorResponses } from '../schemas.js';

const Open = Type.Object({}, { additionalProperties: true });

const DecisionParams = Type.Object({
  id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Decision id' }),
});

const DecisionsQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 50,
        description: 'Maximum number of decisions to return, most recent first',
      }),
    ),
  },
  { additionalProperties: false },
);

export function decisionRoutes(app: FastifyInstance, deps: AppDeps, scopeOf: ScopeOf): void {
  app.get<{ Querystring: Static<typeof DecisionsQuery> }>(
    '/decisions',
    {
      schema: {
        summary: 'Get recent scaling decisions',
        tags: ['decisions'],
        querystring: DecisionsQuery,
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            count: Type.Integer(),
            decisions: Type.Array(Open),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const records = await scopeOf(request).scaling.log.recent(request.query.limit ?? 50);
      const decisions = records.map(decisionSummaryView);
      return { success: true as const, count: decisions.length, decisions };
    },
  );

  app.get<{ Params: Static<typeof DecisionParams> }>(
    '/decisions/:id',
    {
      schema: {
        summary: 'Get one decision and what became of it',
        description:
          'A change is recorded as pending before it is made, in_progress once the API server accepted it, then applied, unverified, superseded or failed when its rollout is settled: poll this for the outcome of a change a route answered early.',
        tags: ['decisions'],
        params: DecisionParams,
        response: {
          200: Type.Object({ success: Type.Literal(true), decision: Open }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const record = await scopeOf(request).scaling.log.get(request.params.id);
      if (!record) throw notFound('decision', String(request.params.id));
      return { success: true as const, decision: decisionObjectView(record) };
    },
  );

  app.get(
    '/statistics',
    {
      schema: {
        summary: 'Get scaling statistics',
        tags: ['decisions'],
        response: {
          200: Type.Object({ success: Type.Literal(true), statistics: Open }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { scaling, cluster } = scopeOf(request);
      const stats = await scaling.log.stats();
      let kubernetesAvailable = true;
      try {
        await cluster.listNamespaces();
      } catch {
        kubernetesAvailable = false;
      }
      const policy = scaling.settings().policy;
      return {
        success: true as const,
        statistics: statisticsView(stats, scaling.settings(), {
          kubernetesAvailable,
          modelType: modelType(policy, deps),
          timestamp: new Date(deps.clock.now()).toISOString(),
        }),
      };
    },
  );
}

function modelType(policy: string, deps: AppDeps): string {
  const name = policy.split(':')[0];
  if (name === 'dqn' || name === 'dqn-vertical') {
    const state = deps.models?.[name];
    if (state && !state.model) return `${name} unavailable: decisions fall back to the baseline`;
    return name === 'dqn' ? 'DQN (replicas)' : 'Multi-Head DQN (CPU and memory)';
  }
  return `${name} (baseline)`;
}
