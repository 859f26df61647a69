import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { quantile } from './percentile.js';

describe('quantile', () => {
  it('agrees with sorting', () => {
    const rng = new Rng(2);
    for (const n of [1, 2, 7, 100, 1001]) {
      const xs = Array.from({ length: n }, () => Math.round(rng.next() * 50));
      const sorted = [...xs].sort((a, b) => a - b);
      for (const q of [0, 0.5, 0.95, 1])
        expect(quantile(xs, q)).toBe(sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]);
    }
    expect(quantile([], 0.95)).toBe(0);
  });
});
