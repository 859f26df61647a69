/** A fixed-size replay memory in flat typed arrays; sampled uniformly with the injected Rng. */
import type { Rng } from '../core/rng.js';
import type { Batch } from './qnet.js';

export class ReplayBuffer {
  private readonly states: Float32Array;
  private readonly next: Float32Array;
  private readonly actions: Int32Array;
  private readonly rewards: Float32Array;
  private readonly discounts: Float32Array;
  private head = 0;
  size = 0;

  constructor(
    readonly capacity: number,
    readonly stateDim: number,
    readonly heads: number,
  ) {
    this.states = new Float32Array(capacity * stateDim);
    this.next = new Float32Array(capacity * stateDim);
    this.actions = new Int32Array(capacity * heads);
    this.rewards = new Float32Array(capacity * heads);
    this.discounts = new Float32Array(capacity);
  }

  add(
    state: Float32Array,
    actions: ArrayLike<number>,
    rewards: ArrayLike<number>,
    next: Float32Array,
    /** The next state's value is worth this much (0 when terminal, γ^k after k intervals). */
    discount: number,
  ): void {
    const i = this.head;
    this.states.set(state, i * this.stateDim);
    this.next.set(next, i * this.stateDim);
    for (let h = 0; h < this.heads; h++) {
      this.actions[i * this.heads + h] = actions[h]!;
      this.rewards[i * this.heads + h] = rewards[h]!;
    }
    this.discounts[i] = discount;
    this.head = (this.head + 1) % this.capacity;
    this.size = Math.min(this.capacity, this.size + 1);
  }

  sample(batchSize: number, rng: Rng): Batch {
    const d = this.stateDim;
    const h = this.heads;
    const b: Batch = {
      size: batchSize,
      states: new Float32Array(batchSize * d),
      next: new Float32Array(batchSize * d),
      actions: new Int32Array(batchSize * h),
      rewards: new Float32Array(batchSize * h),
      discounts: new Float32Array(batchSize),
    };
    for (let k = 0; k < batchSize; k++) {
      const i = rng.int(0, this.size - 1);
      b.states.set(this.states.subarray(i * d, (i + 1) * d), k * d);
      b.next.set(this.next.subarray(i * d, (i + 1) * d), k * d);
      for (let j = 0; j < h; j++) {
        b.actions[k * h + j] = this.actions[i * h + j]!;
        b.rewards[k * h + j] = this.rewards[i * h + j]!;
      }
      b.discounts[k] = this.discounts[i]!;
    }
    return b;
  }
}
