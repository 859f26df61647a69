/** A model with random weights of the right shape, for tests that need a learned policy. */
import { Rng } from '../../core/rng.js';
import { Mlp, type DenseLayer } from '../../rl/mlp.js';
import type { LoadedModel, ModelExpectation } from '../../rl/modelFiles.js';

export function randomModel(
  expectation: ModelExpectation,
  seed = 1,
  hidden = [16, 16],
): LoadedModel {
  const rng = new Rng(seed);
  const dense = (
    inputs: number,
    outputs: number,
    activation: DenseLayer['activation'],
  ): DenseLayer => ({
    inputs,
    outputs,
    activation,
    kernel: Float32Array.from({ length: inputs * outputs }, () =>
      rng.normal(0, 1 / Math.sqrt(inputs)),
    ),
    bias: Float32Array.from({ length: outputs }, () => rng.normal(0, 0.1)),
  });
  let width = expectation.stateFeatures.length;
  const trunk = hidden.map((h) => {
    const l = dense(width, h, 'relu');
    width = h;
    return l;
  });
  const heads = expectation.heads.map((h) => [dense(width, h.actions.length, 'linear')]);
  return {
    dir: '(random)',
    mlp: new Mlp({ trunk, heads }),
    metadata: {
      format: 'qpilot-dqn-model',
      formatVersion: 1,
      policy: expectation.policy,
      modelType: 'random (test)',
      stateDim: expectation.stateFeatures.length,
      stateFeatures: [...expectation.stateFeatures],
      heads: expectation.heads.map((h) => ({ name: h.name, actions: [...h.actions] })),
      architecture: { trunk: [], heads: {} },
      training: {},
      createdAt: '',
      qpilotVersion: 'test',
    },
  };
}
