import { HORIZONTAL_FEATURES } from '../../policies/dqn/horizontal.js';
import { afterEach, describe, expect, it } from 'vitest';
import { DQN_EXPECTATION } from '../../policies/dqn/dqnPolicy.js';
import { DQN_VERTICAL_EXPECTATION } from '../../policies/dqnVertical/dqnVerticalPolicy.js';
import type { ServingModels } from '../../policies/servingModels.js';
import { loadServingModels } from '../../policies/servingModels.js';
import { randomModel } from '../../policies/testing/randomModel.js';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

const loaded: ServingModels = {
  dqn: {
    policy: 'dqn',
    path: '/models/dqn',
    status: 'loaded',
    model: randomModel(DQN_EXPECTATION),
  },
  'dqn-vertical': {
    policy: 'dqn-vertical',
    path: '/models/dqn-vertical',
    status: 'loaded',
    model: randomModel(DQN_VERTICAL_EXPECTATION),
  },
};

describe('GET /model/info', () => {
  it("shows seed 002's model information, with both models", async () => {
    t = await simApp({ models: loaded });
    const body = (await t.app.inject('/model/info')).json<Record<string, unknown>>();
    expect(body).toMatchObject({
      status: 'loaded',
      model_path: '/models/dqn-vertical',
      state_dim: 10,
      action_dim: 3,
      actions: { '0': 'DECREASE', '1': 'MAINTAIN', '2': 'INCREASE' },
      heads: [{ name: 'cpu' }, { name: 'memory' }],
    });
    expect((body.state_features as string[]).length).toBe(10);
    expect(
      (body.models as { policy: string; state_dim: number }[]).map((m) => [m.policy, m.state_dim]),
    ).toEqual([
      ['dqn', HORIZONTAL_FEATURES.length],
      ['dqn-vertical', 10],
    ]);
    expect((await t.app.inject('/health')).json()).toMatchObject({
      status: 'healthy',
      checks: { models: { dqn: { status: 'loaded' } } },
    });
  });

  it('says when a model is missing, and which baseline decides instead', async () => {
    const models = await loadServingModels('/nonexistent/models');
    t = await simApp({ models });
    const info = (await t.app.inject('/model/info')).json<Record<string, unknown>>();
    expect(info).toMatchObject({
      status: 'unavailable',
      fallback: 'vpa',
      model_path: '/nonexistent/models/dqn-vertical',
      state_dim: null,
    });
    expect(info.error).toMatch(/cannot read metadata.json \(ENOENT\)/);
    const health = (await t.app.inject('/health')).json<Record<string, unknown>>();
    expect(health).toMatchObject({
      status: 'degraded',
      checks: {
        cluster: { status: 'ok' },
        models: {
          dqn: { status: 'unavailable', fallback: 'hpa' },
          'dqn-vertical': { status: 'unavailable', fallback: 'vpa' },
        },
      },
    });
  });
});
