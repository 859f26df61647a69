import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { ReplayBuffer } from './replayBuffer.js';

describe('ReplayBuffer', () => {
  it('keeps the last `capacity` transitions and samples whole transitions', () => {
    const buf = new ReplayBuffer(3, 2, 1);
    for (let i = 0; i < 5; i++)
      buf.add(Float32Array.from([i, i]), [i], [i * 10], Float32Array.from([i + 1, i + 1]), i / 10);
    expect(buf.size).toBe(3);
    const b = buf.sample(50, new Rng(1));
    const seen = new Set<number>();
    for (let k = 0; k < 50; k++) {
      const s = b.states[k * 2]!;
      seen.add(s);
      expect(b.actions[k]).toBe(s);
      expect(b.rewards[k]).toBe(s * 10);
      expect(b.next[k * 2]).toBe(s + 1);
      expect(b.discounts[k]).toBeCloseTo(s / 10, 6);
    }
    expect([...seen].sort()).toEqual([2, 3, 4]);
  });
});
