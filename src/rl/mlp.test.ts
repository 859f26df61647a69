import { describe, expect, it } from 'vitest';
import { Mlp, argmax, softmaxAt } from './mlp.js';

const layer = (
  inputs: number,
  outputs: number,
  kernel: number[],
  bias: number[],
  activation: 'relu' | 'linear' = 'linear',
) => ({
  inputs,
  outputs,
  kernel: Float32Array.from(kernel),
  bias: Float32Array.from(bias),
  activation,
});

describe('Mlp', () => {
  it('computes relu(xW + b) through the trunk and each head', () => {
    const mlp = new Mlp({
      trunk: [layer(2, 2, [1, -1, 2, 1], [0, 0], 'relu')],
      heads: [[layer(2, 1, [1, 1], [0.5])], [layer(2, 2, [1, 0, 0, 1], [0, 0])]],
    });
    // x = [1, 2]: trunk = relu([1 + 4, -1 + 2]) = [5, 1].
    const [a, b] = mlp.forward(Float32Array.from([1, 2]));
    expect(Array.from(a!)).toEqual([6.5]);
    expect(Array.from(b!)).toEqual([5, 1]);
    const [batch] = mlp.forwardBatch(Float32Array.from([1, 2, 0, 0]), 2);
    expect(Array.from(batch!)).toEqual([6.5, 0.5]);
    expect(mlp.headDims).toEqual([1, 2]);
  });

  it('refuses mismatched shapes and reports non-finite weights', () => {
    expect(
      () =>
        new Mlp({
          trunk: [layer(2, 3, [1, 2, 3, 4, 5, 6], [0, 0, 0])],
          heads: [[layer(2, 1, [1, 1], [0])]],
        }),
    ).toThrow(/expects 2 inputs, gets 3/);
    expect(() => new Mlp({ trunk: [layer(2, 2, [1], [0, 0])], heads: [] })).toThrow(/wrong size/);
    const bad = new Mlp({ trunk: [], heads: [[layer(1, 1, [Number.NaN], [0])]] });
    expect(bad.isFinite()).toBe(false);
    expect(() => bad.forwardBatch(Float32Array.from([1, 2]), 1)).toThrow(/expected 1 x 1/);
  });
});

describe('argmax and softmax', () => {
  it('pick the best and say how sure', () => {
    expect(argmax([0.1, 0.9, 0.3])).toBe(1);
    expect(argmax([5, 0.1, 0.9, 0.3], 1, 3)).toBe(1);
    expect(softmaxAt([0, 0], 0)).toBeCloseTo(0.5, 9);
    expect(softmaxAt([10, 0, 0], 0)).toBeGreaterThan(0.99);
  });
});
