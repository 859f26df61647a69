import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { loadModel } from './modelFiles.js';
import { DoubleDqn, type NetworkSpec } from './qnet.js';
import { initTf } from './tf.js';

const spec: NetworkSpec = {
  stateDim: 4,
  hidden: [16, 16],
  heads: [
    { name: 'cpu', actions: ['DECREASE', 'MAINTAIN', 'INCREASE'] },
    { name: 'memory', actions: ['DECREASE', 'MAINTAIN', 'INCREASE'] },
  ],
};
const expectation = { policy: 'test', stateFeatures: ['a', 'b', 'c', 'd'], heads: spec.heads };
let tf: Awaited<ReturnType<typeof initTf>>;

beforeAll(async () => {
  tf = await initTf();
});

async function saved(dqn: DoubleDqn): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'qpilot-model-'));
  await dqn.save(dir, {
    policy: 'test',
    modelType: 'test',
    stateFeatures: ['a', 'b', 'c', 'd'],
    training: { seed: 1 },
    createdAt: '2026-01-01T00:00:00Z',
    qpilotVersion: '0',
  });
  return dir;
}

describe('DoubleDqn', () => {
  it('uses the WASM backend', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  it('learns a one-step reward per head', () => {
    const dqn = new DoubleDqn(
      tf,
      spec,
      { gamma: 0, learningRate: 0.01, huberDelta: 1, clipNorm: 10 },
      new Rng(1),
    );
    const rng = new Rng(2);
    const B = 32;
    for (let step = 0; step < 300; step++) {
      const states = Float32Array.from({ length: B * 4 }, () => rng.next());
      const actions = Int32Array.from({ length: B * 2 }, () => rng.int(0, 2));
      // Head cpu pays for action 2, head memory for action 0.
      const rewards = Float32Array.from({ length: B * 2 }, (_, i) =>
        i % 2 === 0 ? (actions[i] === 2 ? 1 : 0) : actions[i] === 0 ? 1 : 0,
      );
      dqn.train({
        size: B,
        states,
        actions,
        rewards,
        next: states,
        discounts: new Float32Array(B),
      });
    }
    const [cpu, memory] = (
      dqn.online.predict(tf.tensor2d([[0.5, 0.5, 0.5, 0.5]])) as ReturnType<typeof tf.tensor2d>[]
    ).map((t) => Array.from(t.dataSync()));
    expect(cpu!.indexOf(Math.max(...cpu!))).toBe(2);
    expect(memory!.indexOf(Math.max(...memory!))).toBe(0);
  });

  it('is deterministic for a seed', () => {
    const a = new DoubleDqn(
      tf,
      spec,
      { gamma: 0.9, learningRate: 0.01, huberDelta: 1, clipNorm: 10 },
      new Rng(5),
    );
    const b = new DoubleDqn(
      tf,
      spec,
      { gamma: 0.9, learningRate: 0.01, huberDelta: 1, clipNorm: 10 },
      new Rng(5),
    );
    const batch = {
      size: 2,
      states: Float32Array.from([1, 2, 3, 4, 4, 3, 2, 1]),
      actions: Int32Array.from([0, 1, 2, 0]),
      rewards: Float32Array.from([1, 0, 0, 1]),
      next: Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]),
      discounts: Float32Array.from([0.9, 0]),
    };
    expect(a.train(batch)).toBe(b.train(batch));
    expect(Array.from(a.online.getWeights()[0]!.dataSync())).toEqual(
      Array.from(b.online.getWeights()[0]!.dataSync()),
    );
  });
});

describe('model directories', () => {
  it('load without TensorFlow.js into a forward pass equal to the network', async () => {
    const dqn = new DoubleDqn(
      tf,
      spec,
      { gamma: 0.9, learningRate: 0.01, huberDelta: 1, clipNorm: 10 },
      new Rng(9),
    );
    const dir = await saved(dqn);
    const { mlp, metadata } = await loadModel(dir, expectation);
    expect(metadata).toMatchObject({ policy: 'test', stateDim: 4, training: { seed: 1 } });
    const x = [0.3, -1, 2, 0.1];
    const viaTf = (dqn.online.predict(tf.tensor2d([x])) as ReturnType<typeof tf.tensor2d>[]).map(
      (t) => Array.from(t.dataSync()),
    );
    const viaJs = mlp.forward(Float32Array.from(x)).map((a) => Array.from(a));
    for (let h = 0; h < 2; h++)
      viaJs[h]!.forEach((v, i) => expect(v).toBeCloseTo(viaTf[h]![i]!, 4));
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: object;
      weightsManifest: { weights: Parameters<typeof tf.io.fromMemory>[1] }[];
    };
    const reloaded = await tf.loadLayersModel(
      tf.io.fromMemory(
        modelJson.modelTopology,
        modelJson.weightsManifest[0]!.weights,
        new Uint8Array(readFileSync(join(dir, 'weights.bin'))).buffer,
      ),
    );
    expect(reloaded.outputs).toHaveLength(2);
  });

  it('refuses corrupt, truncated and mismatched models, saying what is wrong', async () => {
    const dqn = new DoubleDqn(
      tf,
      spec,
      { gamma: 0.9, learningRate: 0.01, huberDelta: 1, clipNorm: 10 },
      new Rng(9),
    );
    const dir = await saved(dqn);
    await expect(loadModel(dir, { ...expectation, policy: 'dqn' })).rejects.toThrow(
      /it is a "test" model, not "dqn"/,
    );
    await expect(
      loadModel(dir, { ...expectation, stateFeatures: ['a', 'b', 'c'] }),
    ).rejects.toThrow(/other state features/);
    await expect(loadModel(join(dir, 'nope'), expectation)).rejects.toMatchObject({
      code: 'QP_ERR_MODEL_INVALID',
      message: expect.stringMatching(/cannot read metadata.json \(ENOENT\)/) as unknown,
    });
    const weights = readFileSync(join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'weights.bin'), weights.subarray(0, weights.length - 8));
    await expect(loadModel(dir, expectation)).rejects.toThrow(
      /shorter than model.json says|bytes, model.json describes/,
    );
    const nan = Buffer.from(weights);
    nan.writeFloatLE(Number.NaN, 0);
    writeFileSync(join(dir, 'weights.bin'), nan);
    await expect(loadModel(dir, expectation)).rejects.toThrow(/NaN or infinite/);
    writeFileSync(join(dir, 'metadata.json'), '{ not json');
    await expect(loadModel(dir, expectation)).rejects.toThrow(/metadata.json is not valid JSON/);
  });
});
