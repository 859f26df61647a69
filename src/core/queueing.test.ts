import { describe, expect, it } from 'vitest';
import { MAX_UTILISATION, mixtureP95QueueMs, mm1InFlight, mm1P95QueueMs } from './queueing.js';

describe('M/M/1 latency', () => {
  it('is ln(20) / (mu - lambda)', () => {
    expect(mm1P95QueueMs(50, 100)).toBeCloseTo((Math.log(20) / 50) * 1000, 9);
    expect(mm1P95QueueMs(0, 100)).toBeCloseTo((Math.log(20) / 100) * 1000, 9);
  });

  it('grows with load and is bounded at saturation', () => {
    expect(mm1P95QueueMs(90, 100)).toBeGreaterThan(mm1P95QueueMs(50, 100));
    const capped = mm1P95QueueMs(500, 100);
    expect(capped).toBeCloseTo((Math.log(20) / (100 * (1 - MAX_UTILISATION))) * 1000, 6);
    expect(mm1P95QueueMs(1, 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('has rho / (1 - rho) requests in flight', () => {
    expect(mm1InFlight(50, 100)).toBeCloseTo(1, 9);
    expect(mm1InFlight(75, 100)).toBeCloseTo(3, 9);
  });
});

describe('mixture p95', () => {
  it('equals the single-pod p95 when all pods are alike', () => {
    expect(mixtureP95QueueMs([40, 40, 40], [100, 100, 100])).toBeCloseTo(mm1P95QueueMs(40, 100), 6);
  });

  it('lies between the fastest and the slowest pod', () => {
    const p = mixtureP95QueueMs([40, 40], [100, 50]);
    expect(p).toBeGreaterThan(mm1P95QueueMs(40, 100));
    expect(p).toBeLessThan(mm1P95QueueMs(40, 50));
  });

  it('ignores idle pods and is zero with no traffic', () => {
    expect(mixtureP95QueueMs([0, 0], [100, 100])).toBe(0);
    expect(mixtureP95QueueMs([10, 0], [100, 1])).toBeCloseTo(mm1P95QueueMs(10, 100), 6);
  });
});
