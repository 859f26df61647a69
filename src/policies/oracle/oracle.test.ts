import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { maxRpsWithinSlo, oracleSchedule } from './oracle.js';

/** Exhaustive search over replica schedules: the cheapest whose Ready pods cover every interval. */
function bruteForce(need: number[], lead: number, maxN: number): number {
  let best = Infinity;
  const plan: number[] = [];
  const rec = (k: number, cost: number) => {
    if (cost >= best) return;
    if (k === need.length) {
      best = cost;
      return;
    }
    for (let n = 0; n <= maxN; n++) {
      plan[k] = n;
      // Pods serving interval k existed through the last `lead` decisions.
      let ready = n;
      for (let i = Math.max(0, k - lead); i < k; i++) ready = Math.min(ready, plan[i]!);
      if (k < lead) ready = Math.min(ready, ...plan.slice(0, k + 1));
      if (ready >= need[k]!) rec(k + 1, cost + n);
    }
  };
  rec(0, 0);
  return best;
}

describe('the oracle', () => {
  it('serves the SLO at the highest M/M/1 load it allows', () => {
    // mu = 100 rps; p95 = 20 ms + ln(20)/(mu - lambda) s <= 200 ms  =>  lambda <= 100 - 16.64.
    expect(maxRpsWithinSlo(0.5, 0.005, 20, 200)).toBeCloseTo(100 - (Math.log(20) * 1000) / 180, 9);
    expect(maxRpsWithinSlo(0.5, 0.005, 250, 200)).toBe(0);
  });

  it('starts pods one startup delay before they are needed, and no earlier', () => {
    const plan = oracleSchedule(
      {
        startMs: 0,
        stepMs: 15_000,
        peakRpsPerStep: Float64Array.from([10, 10, 10, 50, 50, 10, 10]),
      },
      { maxRpsPerPod: 10, startupDelayMs: 30_000 },
      1,
      100,
    );
    expect(Array.from(plan)).toEqual([1, 5, 5, 5, 5, 1, 1]);
  });

  it('matches an exhaustive search for the cheapest schedule', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 30; trial++) {
      const need = Array.from({ length: 6 }, () => rng.int(1, 3));
      const lead = rng.int(0, 2);
      const plan = oracleSchedule(
        { startMs: 0, stepMs: 15_000, peakRpsPerStep: Float64Array.from(need.map((n) => n * 10)) },
        { maxRpsPerPod: 10, startupDelayMs: lead * 15_000 },
        0,
        3,
      );
      expect(
        Array.from(plan).reduce((a, b) => a + b, 0),
        `need ${need} lead ${lead}`,
      ).toBe(bruteForce(need, lead, 3));
    }
  });
});
