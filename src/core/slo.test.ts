import { describe, expect, it } from 'vitest';
import { intervalOutcome, intervalP95 } from './slo.js';

describe('intervalP95', () => {
  it('is the tick p95 when every tick is alike', () => {
    expect(
      intervalP95(
        [
          { served: 10, offered: 10, p95LatencyMs: 120 },
          { served: 10, offered: 10, p95LatencyMs: 120 },
        ],
        20,
      ),
    ).toBeCloseTo(120, 6);
  });

  it('lies between the ticks, leaning to the busier one', () => {
    const p = intervalP95(
      [
        { served: 90, offered: 90, p95LatencyMs: 300 },
        { served: 10, offered: 10, p95LatencyMs: 60 },
      ],
      20,
    );
    expect(p).toBeGreaterThan(60);
    expect(p).toBeLessThan(300);
    expect(p).toBeGreaterThan(
      intervalP95(
        [
          { served: 10, offered: 10, p95LatencyMs: 300 },
          { served: 90, offered: 90, p95LatencyMs: 60 },
        ],
        20,
      ),
    );
  });

  it('is infinite when load was offered and none served, zero without load', () => {
    expect(
      intervalP95([{ served: 0, offered: 5, p95LatencyMs: Number.POSITIVE_INFINITY }], 20),
    ).toBe(Number.POSITIVE_INFINITY);
    expect(intervalP95([], 20)).toBe(0);
  });
});

describe('intervalOutcome', () => {
  it('violates on latency or on more than 0.1 % dropped', () => {
    expect(
      intervalOutcome([{ served: 100, offered: 100, p95LatencyMs: 150 }], 20, 200, 0.001).violated,
    ).toBe(false);
    expect(
      intervalOutcome([{ served: 100, offered: 100, p95LatencyMs: 250 }], 20, 200, 0.001).violated,
    ).toBe(true);
    expect(
      intervalOutcome([{ served: 998, offered: 1000, p95LatencyMs: 100 }], 20, 200, 0.001),
    ).toMatchObject({ violated: true, dropRatio: 0.002 });
    expect(
      intervalOutcome([{ served: 0, offered: 0, p95LatencyMs: 0 }], 20, 200, 0.001).violated,
    ).toBe(false);
  });
});
