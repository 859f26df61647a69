import { describe, expect, it } from 'vitest';
import { withFallback } from '../policies/guardrails.js';
import type { ScalingPolicy } from '../policies/types.js';
import { HpaPolicy } from '../policies/hpa/hpa.js';
import { StaticPolicy } from '../policies/static/static.js';
import { VpaPolicy } from '../policies/vpa/vpa.js';
import { Trace } from '../traces/trace.js';
import { evaluate } from './evaluator.js';

/** Two hours at a flat 400 requests/s: one pod (500m at 5 ms a request) serves at most 100. */
const flat = new Trace(
  'flat',
  Float64Array.from({ length: 120 }, (_, i) => i * 60),
  new Float64Array(120).fill(400),
);
const options = { trace: flat, peakRps: 400, durationSec: 7200 };

describe('evaluate', () => {
  it('measures cost as CPU requested over time, and holds an idle policy to it', async () => {
    const run = await evaluate(() => new StaticPolicy(8), options);
    // Eight pods of 500m for two hours.
    expect(run.costCoreHours).toBeCloseTo(8, 1);
    expect(run.sloViolationPct).toBe(0);
    expect(run.droppedPct).toBe(0);
    expect(run.p95LatencyMs).toBeGreaterThan(20);
    expect(run.p95LatencyMs).toBeLessThan(200);
    expect(run.meanReplicas).toBeCloseTo(8, 1);
    expect(run.simulatedSeconds).toBe(7200);
  });

  it('counts every interval of an overloaded workload as violated, with drops', async () => {
    const run = await evaluate(() => new StaticPolicy(3), options);
    expect(run.sloViolationPct).toBeGreaterThan(99);
    expect(run.droppedPct).toBeGreaterThan(20);
    expect(run.scalingActions).toBe(1);
  });

  it('records fallbacks when a policy fails, and the HPA decides instead', async () => {
    const broken: ScalingPolicy = {
      name: 'broken',
      kind: 'horizontal',
      decide: () => {
        throw new Error('model exploded');
      },
    };
    const run = await evaluate(() => withFallback(broken, new HpaPolicy()), options);
    const hpa = await evaluate(() => new HpaPolicy(), options);
    expect(run.fallbacks).toBe(480);
    expect(run.costCoreHours).toBeCloseTo(hpa.costCoreHours, 3);
  });

  it('runs vertical policies on a fixed number of pods, and refuses the wrong kind', async () => {
    const run = await evaluate(() => new VpaPolicy(), { ...options, kind: 'vertical' });
    expect(run.meanReplicas).toBe(4);
    expect(run.scalingActions).toBeGreaterThan(0);
    await expect(evaluate(() => new HpaPolicy(), { ...options, kind: 'vertical' })).rejects.toThrow(
      /horizontal/,
    );
  });

  it('is deterministic for a seed', async () => {
    const a = await evaluate(() => new HpaPolicy(), { ...options, seed: 3 });
    const b = await evaluate(() => new HpaPolicy(), { ...options, seed: 3 });
    expect(a).toEqual(b);
  });
});
