import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { syntheticTrace } from './synthetic.js';

describe('syntheticTrace', () => {
  it('is reproducible from its seed, peaks at 1, and varies between seeds', () => {
    const a = syntheticTrace(new Rng(1), 2 * 86_400);
    const b = syntheticTrace(new Rng(1), 2 * 86_400);
    const c = syntheticTrace(new Rng(2), 2 * 86_400);
    expect(Array.from(a.rps)).toEqual(Array.from(b.rps));
    expect(a.peakRps).toBeCloseTo(1, 9);
    expect(a.stepSec).toBe(60);
    expect(a.durationSec).toBeGreaterThanOrEqual(2 * 86_400);
    expect(Array.from(c.rps)).not.toEqual(Array.from(a.rps));
    for (const r of a.rps) expect(r).toBeGreaterThanOrEqual(0);
  });

  it('has a daily cycle: most seeds swing by more than a factor of 1.5 over a day', () => {
    let swinging = 0;
    for (let seed = 0; seed < 20; seed++) {
      const t = syntheticTrace(new Rng(seed), 86_400);
      const sorted = Array.from(t.rps).sort((x, y) => x - y);
      if (sorted[Math.floor(sorted.length * 0.9)]! / sorted[Math.floor(sorted.length * 0.1)]! > 1.5)
        swinging++;
    }
    expect(swinging).toBeGreaterThan(12);
  });
});
