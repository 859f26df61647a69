import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import {
  type OracleModel,
  intervalMeetsSlo,
  maxRpsWithinSlo,
  needPerStep,
  oracleSchedule,
} from './oracle.js';

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
    const free = {
      maxScaleUpFactor: 100,
      maxScaleUpPods: 100,
      minScaleDownFraction: 0,
      maxResourceChangeFraction: 1,
    };
    const plan = oracleSchedule(Int32Array.from([1, 1, 1, 5, 5, 1, 1]), 2, free);
    expect(Array.from(plan)).toEqual([1, 5, 5, 5, 5, 1, 1]);
    // The guardrails halve a count at most per step: the oracle plans within them too.
    expect(Array.from(oracleSchedule(Int32Array.from([1, 1, 1, 5, 5, 1, 1]), 2))).toEqual([
      1, 5, 5, 5, 5, 2, 1,
    ]);
  });

  it('starts a steep ramp early enough for the scale-up limit (x2 or +4 a step)', () => {
    const plan = oracleSchedule(Int32Array.from([1, 1, 1, 1, 20]), 0);
    expect(Array.from(plan)).toEqual([1, 1, 5, 10, 20]);
  });

  it('needs, per interval, the fewest pods whose p95 meets the SLO', () => {
    const model: OracleModel = {
      podCores: 0.5,
      cpuSecondsPerRequest: 0.005,
      baseLatencyMs: 20,
      sloLatencyMs: 200,
      sloMaxDropRatio: 0.001,
      startupDelayMs: 30_000,
    };
    // 250 rps: 3 pods run at 83.3 rps each, just within 83.36; 2 would not.
    expect(intervalMeetsSlo([250, 250], 3, model)).toBe(true);
    expect(intervalMeetsSlo([250, 250], 2, model)).toBe(false);
    const need = needPerStep(
      {
        startMs: 0,
        stepMs: 2000,
        ticksPerStep: 2,
        loadPerTick: Float64Array.from([250, 250, 500, 500, 0, 0]),
      },
      model,
      1,
      50,
    );
    expect(Array.from(need)).toEqual([3, 6, 1]);
  });

  it('matches an exhaustive search for the cheapest schedule', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 30; trial++) {
      const need = Array.from({ length: 6 }, () => rng.int(1, 3));
      const lead = rng.int(0, 2);
      const plan = oracleSchedule(Int32Array.from(need), lead);
      expect(
        Array.from(plan).reduce((a, b) => a + b, 0),
        `need ${need.join(',')} lead ${lead}`,
      ).toBe(bruteForce(need, lead, 3));
    }
  });
});
