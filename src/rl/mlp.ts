/**
 * A dense network's forward pass in plain JavaScript. Models are trained with TensorFlow.js;
 * deciding only needs their weights, and a forward pass of a small MLP in plain typed arrays
 * takes microseconds — less than TensorFlow.js spends setting up one call — so `qpilot serve`
 * never loads TensorFlow.js at all (ADR 6).
 */
export type Activation = 'relu' | 'linear' | 'tanh';

export interface DenseLayer {
  /** Row-major [inputs x outputs], as TensorFlow.js stores a Dense kernel. */
  kernel: Float32Array;
  bias: Float32Array;
  inputs: number;
  outputs: number;
  activation: Activation;
}

/** A trunk of layers, then one or more heads (one per decision: replicas, cpu, memory). */
export interface MlpSpec {
  trunk: DenseLayer[];
  heads: DenseLayer[][];
}

function apply(layer: DenseLayer, x: Float32Array, rows: number): Float32Array {
  const { inputs, outputs, kernel, bias, activation } = layer;
  const out = new Float32Array(rows * outputs);
  // Sums in a float64 row of its own, written once: faster than adding into the float32 output.
  const acc = new Float64Array(outputs);
  for (let r = 0; r < rows; r++) {
    const xo = r * inputs;
    const oo = r * outputs;
    for (let j = 0; j < outputs; j++) acc[j] = bias[j]!;
    for (let i = 0; i < inputs; i++) {
      const xi = x[xo + i]!;
      if (xi === 0) continue;
      const ko = i * outputs;
      for (let j = 0; j < outputs; j++) acc[j]! += xi * kernel[ko + j]!;
    }
    for (let j = 0; j < outputs; j++) out[oo + j] = acc[j]!;
    if (activation === 'relu')
      for (let j = 0; j < outputs; j++) out[oo + j] = Math.max(0, out[oo + j]!);
    else if (activation === 'tanh')
      for (let j = 0; j < outputs; j++) out[oo + j] = Math.tanh(out[oo + j]!);
  }
  return out;
}

export class Mlp {
  readonly inputDim: number;
  readonly headDims: number[];

  constructor(readonly spec: MlpSpec) {
    const first = spec.trunk[0] ?? spec.heads[0]?.[0];
    if (!first) throw new RangeError('an MLP needs at least one layer');
    this.inputDim = first.inputs;
    this.headDims = spec.heads.map((h) => h[h.length - 1]!.outputs);
    const check = (layers: DenseLayer[], inputs: number) => {
      let n = inputs;
      for (const l of layers) {
        if (l.inputs !== n) throw new RangeError(`layer expects ${l.inputs} inputs, gets ${n}`);
        if (l.kernel.length !== l.inputs * l.outputs || l.bias.length !== l.outputs)
          throw new RangeError('layer weights have the wrong size');
        n = l.outputs;
      }
      return n;
    };
    const trunkOut = check(spec.trunk, this.inputDim);
    for (const h of spec.heads) check(h, trunkOut);
  }

  /** Q-values of every head for `rows` inputs laid out row by row. */
  forwardBatch(x: Float32Array, rows: number): Float32Array[] {
    if (x.length !== rows * this.inputDim)
      throw new RangeError(`expected ${rows} x ${this.inputDim} inputs, got ${x.length}`);
    let h = x;
    for (const l of this.spec.trunk) h = apply(l, h, rows);
    return this.spec.heads.map((head) => {
      let o = h;
      for (const l of head) o = apply(l, o, rows);
      return o;
    });
  }

  forward(x: Float32Array): Float32Array[] {
    return this.forwardBatch(x, 1);
  }

  /** Whether every weight is a finite number (a corrupt model file is not). */
  isFinite(): boolean {
    const all = [...this.spec.trunk, ...this.spec.heads.flat()];
    return all.every((l) => l.kernel.every(Number.isFinite) && l.bias.every(Number.isFinite));
  }
}

export function argmax(values: ArrayLike<number>, offset = 0, length = values.length): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[offset + i]! > values[offset + best]!) best = i;
  return best;
}

/** Softmax probability of `index` among `length` values: how sure the network is. */
export function softmaxAt(
  values: ArrayLike<number>,
  index: number,
  offset = 0,
  length = values.length,
): number {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, values[offset + i]!);
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(values[offset + i]! - max);
  return Math.exp(values[offset + index]! - max) / sum;
}
