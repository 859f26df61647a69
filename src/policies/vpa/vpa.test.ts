import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { input, observation, pods } from '../testing/observations.js';
import { DecayingHistogram } from './histogram.js';
import { VpaPolicy } from './vpa.js';

describe('DecayingHistogram', () => {
  it('gives percentiles at bucket ends, within the bucket ratio of the truth', () => {
    const h = new DecayingHistogram({
      firstBucketSize: 0.01,
      ratio: 1.05,
      maxValue: 1000,
      halfLifeMs: 86_400_000,
    });
    const rng = new Rng(1);
    const values = Array.from({ length: 10_000 }, () => rng.next());
    for (const v of values) h.add(v, 1, 0);
    values.sort((a, b) => a - b);
    for (const p of [0.5, 0.9, 0.95]) {
      const truth = values[Math.floor(p * values.length)]!;
      expect(h.percentile(p)).toBeGreaterThanOrEqual(truth);
      expect(h.percentile(p)).toBeLessThanOrEqual(truth * 1.06 + 0.01);
    }
  });

  it('halves the weight of a sample every half-life', () => {
    const h = new DecayingHistogram({
      firstBucketSize: 1,
      ratio: 1.05,
      maxValue: 100,
      halfLifeMs: 1000,
    });
    h.add(10, 1, 0);
    // One day later a sample at 50 weighs 2^(86.4) times more: it dominates the median.
    h.add(50, 1, 3000);
    expect(h.percentile(0.5)).toBeGreaterThan(49);
    h.add(10, 1, 3000);
    h.add(10, 1, 3000);
    expect(h.percentile(0.5)).toBeLessThan(12);
  });
});

describe('VpaPolicy', () => {
  it('recommends the p90 of CPU usage plus a 15 % margin, and resizes a request outside the bounds', () => {
    const vpa = new VpaPolicy();
    let d = vpa.decide(input(observation(0, pods(3, { cpu: 200 }), { cpuRequest: 1000 })));
    for (let t = 1; t <= 5760; t++)
      d = vpa.decide(input(observation(t * 15_000, pods(3, { cpu: 200 }), { cpuRequest: 1000 })));
    // p90 of a steady 200m sits at a bucket end just above it; x1.15 -> about 230m.
    expect(d.cpuMillicores.desired).toBeLessThan(d.cpuMillicores.current);
    expect(d.cpuMillicores.desired).toBeGreaterThan(230);
    expect(d.cpuMillicores.desired).toBeLessThan(250);
    expect(d.canScale).toBe(true);
  });

  it('leaves a request alone while it is within the bounds, and keeps the minimums', () => {
    const vpa = new VpaPolicy();
    let d = vpa.decide(
      input(
        observation(0, pods(2, { cpu: 200, memory: 100 * 2 ** 20 }), {
          cpuRequest: 230,
          memoryRequest: 300 * 2 ** 20,
        }),
      ),
    );
    for (let t = 1; t <= 100; t++)
      d = vpa.decide(
        input(
          observation(t * 15_000, pods(2, { cpu: 200, memory: 100 * 2 ** 20 }), {
            cpuRequest: 230,
            memoryRequest: 300 * 2 ** 20,
          }),
        ),
      );
    expect(d.cpuMillicores.desired).toBe(d.cpuMillicores.current);
    // 100 MiB used, but the recommender never goes below 250 MiB.
    expect(d.memoryBytes.desired).toBe(d.memoryBytes.current);
    const idle = new VpaPolicy().decide(
      input(observation(0, pods(1, { cpu: 1 }), { cpuRequest: 500 })),
    );
    expect(idle.cpuMillicores.desired).toBeGreaterThanOrEqual(25);
  });

  it('says it has no history before the first sample', () => {
    const d = new VpaPolicy().decide(input(observation(0, pods(2, { metrics: false }))));
    expect(d).toMatchObject({ canScale: false, explanation: { factors: ['no_usage_history'] } });
  });
});
