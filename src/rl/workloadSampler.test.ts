import { describe, expect, it } from 'vitest';
import { parseCpu } from '../cluster/quantity.js';
import { Rng } from '../core/rng.js';
import { maxRpsWithinSlo } from '../policies/oracle/oracle.js';
import { sampleWorkload } from './workloadSampler.js';

describe('sampleWorkload', () => {
  it('draws workloads over the ranges it promises, each with the knee it says', () => {
    const rng = new Rng('sampler');
    const draws = Array.from({ length: 400 }, () => sampleWorkload(rng));
    for (const d of draws) {
      const m = d.workload.model;
      const cores = parseCpu(d.workload.cpu) / 1000;
      expect(cores).toBeGreaterThanOrEqual(0.1);
      expect(cores).toBeLessThanOrEqual(2);
      expect(m.sloLatencyMs).toBeGreaterThanOrEqual(50);
      expect(m.sloLatencyMs).toBeLessThanOrEqual(2000);
      expect(m.startupDelayMs).toBeGreaterThanOrEqual(5000);
      expect(m.startupDelayMs).toBeLessThanOrEqual(180_000);
      // The knee is where a pod's p95 meets the SLO, as the evaluation's oracle computes it.
      const perPod = maxRpsWithinSlo(
        cores,
        m.cpuSecondsPerRequest!,
        m.baseLatencyMs!,
        m.sloLatencyMs!,
      );
      expect((perPod * m.cpuSecondsPerRequest!) / cores).toBeCloseTo(d.knee, 2);
      if (!d.latencySignal) expect(d.knee).toBeGreaterThanOrEqual(0.8);
    }
    const knees = draws.map((d) => d.knee);
    expect(Math.min(...knees)).toBeLessThan(0.4);
    expect(Math.max(...knees)).toBeGreaterThan(0.95);
    const blind = draws.filter((d) => !d.latencySignal).length / draws.length;
    expect(blind).toBeGreaterThan(0.08);
    expect(blind).toBeLessThan(0.25);
  });
});
