import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';
import { Rng } from './rng.js';

describe('Backoff', () => {
  it('doubles its step up to the maximum, jitters within half of it, and resets', () => {
    const b = new Backoff(new Rng('backoff'), 100, 800);
    const delays = Array.from({ length: 6 }, () => b.next());
    const steps = [100, 200, 400, 800, 800, 800];
    delays.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(steps[i]! / 2);
      expect(ms).toBeLessThanOrEqual(steps[i]!);
    });
    b.reset();
    expect(b.next()).toBeLessThanOrEqual(100);
  });
});
