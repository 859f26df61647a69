/** `GET /model/info`: seed 002's model information, with training metadata and load status. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { FALLBACK_POLICY, type ModelState } from '../../policies/servingModels.js';
import type { AppDeps } from '../deps.js';

function describe(state: ModelState) {
  const meta = state.model?.metadata;
  const head = meta?.heads[0];
  return {
    policy: state.policy,
    status: state.status,
    ...(state.error ? { error: state.error, fallback: FALLBACK_POLICY[state.policy] } : {}),
    model_type:
      meta?.modelType ??
      (state.policy === 'dqn' ? 'Deep Q-Network (DQN)' : 'Multi-head Deep Q-Network (DQN)'),
    model_path: state.path,
    state_dim: meta?.stateDim ?? null,
    action_dim: head?.actions.length ?? null,
    actions: head ? Object.fromEntries(head.actions.map((a, i) => [String(i), a])) : {},
    heads: meta?.heads.map((h) => ({ name: h.name, actions: h.actions })) ?? [],
    state_features: meta?.stateFeatures ?? [],
    training: meta?.training ?? null,
    created_at: meta?.createdAt ?? null,
  };
}

export function modelRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get(
    '/model/info',
    {
      schema: {
        summary:
          'The DQN models: type, path, state dimension, actions, state features, training metadata and status',
        tags: ['model'],
        response: { 200: Type.Object({}, { additionalProperties: true }) },
      },
    },
    () => {
      if (!deps.models) {
        return {
          model_type: 'none',
          status: 'unavailable',
          error: 'this server was started without models',
          fallback: 'hpa',
          models: [],
        };
      }
      // The top level is the multi-head CPU/memory DQN, as in seed 002; both models are listed.
      const vertical = describe(deps.models['dqn-vertical']);
      return { ...vertical, models: [describe(deps.models.dqn), vertical] };
    },
  );
}
