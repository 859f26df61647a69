import { describe, expect, it } from 'vitest';
import { input, observation, pods } from '../testing/observations.js';
import { HpaPolicy, calculateReplicas, DEFAULT_HPA_CONFIG } from './hpa.js';

const T0 = 1_000_000_000;

describe('the replica calculator', () => {
  it('is ceil(ready pods x utilization / target)', () => {
    // 4 pods at 490m of 500m requested: 98 % against 70 % = ratio 1.4 -> ceil(5.6) = 6.
    expect(
      calculateReplicas(observation(T0, pods(4, { cpu: 490 })), DEFAULT_HPA_CONFIG).replicas,
    ).toBe(6);
    // 10 pods at 100m: 20 % -> ceil(10 x 20 / 70) = 3.
    expect(
      calculateReplicas(observation(T0, pods(10, { cpu: 100 })), DEFAULT_HPA_CONFIG).replicas,
    ).toBe(3);
  });

  it('does nothing within the 10 % tolerance, on the whole-percent utilization', () => {
    // 384.5m of 500m is 76.9 %, reported as 76 %: 76/70 = 1.086, within tolerance.
    const calc = calculateReplicas(observation(T0, pods(3, { cpu: 384.5 })), DEFAULT_HPA_CONFIG);
    expect(calc).toMatchObject({ replicas: 3, utilization: 76, factors: ['within_tolerance'] });
    // 78 % -> 1.114: outside.
    expect(
      calculateReplicas(observation(T0, pods(3, { cpu: 390 })), DEFAULT_HPA_CONFIG).replicas,
    ).toBe(4);
  });

  it('counts pods without metrics as 100 % on a scale-down and 0 % on a scale-up', () => {
    // Scale-down: 2 pods at 10 %, 2 without metrics counted at 100 %: 55 % over 4 pods -> ceil(4 x 55/70) = 4.
    const down = observation(T0, [...pods(2, { cpu: 50 }), ...pods(2, { metrics: false })]);
    expect(calculateReplicas(down, DEFAULT_HPA_CONFIG)).toMatchObject({ replicas: 4 });
    // Scale-up: 2 pods at 100 %, 2 without metrics counted at 0 %: 50 % -> ratio < 1 reverses: keep 4.
    const up = observation(T0, [...pods(2, { cpu: 500 }), ...pods(2, { metrics: false })]);
    expect(calculateReplicas(up, DEFAULT_HPA_CONFIG)).toMatchObject({
      replicas: 4,
      factors: ['missing_metrics', 'within_tolerance'],
    });
    // 2 pods at 200 %, 1 missing at 0 %: 133 % over 3 -> ceil(3 x 133/70) = 6.
    const up2 = observation(T0, [...pods(2, { cpu: 1000 }), ...pods(1, { metrics: false })], {
      cpuLimit: 1000,
    });
    expect(calculateReplicas(up2, DEFAULT_HPA_CONFIG).replicas).toBe(6);
  });

  it('counts Pending and not-ready pods as 0 % when scaling up', () => {
    // 2 ready pods at 100 % (ratio 1.43) and 2 Pending: 50 % over 4 -> reverses, keep.
    const o = observation(T0, [
      ...pods(2, { cpu: 500 }),
      ...pods(2, { phase: 'Pending', ready: false }),
    ]);
    expect(calculateReplicas(o, DEFAULT_HPA_CONFIG)).toMatchObject({ replicas: 4 });
    // 2 at 200 %, 1 Pending: 133 % over 3 -> 6.
    const o2 = observation(
      T0,
      [...pods(2, { cpu: 1000 }), ...pods(1, { phase: 'Pending', ready: false })],
      { cpuLimit: 1000 },
    );
    expect(calculateReplicas(o2, DEFAULT_HPA_CONFIG)).toMatchObject({
      replicas: 6,
      factors: ['unready_pods', 'cpu_above_target'],
    });
  });

  it('ignores the samples of a young pod taken before one window of readiness', () => {
    // Started 60 s ago, Ready 10 s ago, sampled 5 s ago with a 15 s window: the sample predates readiness + window.
    const young = { cpu: 50, startedMsAgo: 60_000, readyMsAgo: 10_000, sampleMsAgo: 5_000 };
    const o = observation(T0, [...pods(2, { cpu: 500 }), young]);
    // 2 measured pods at 100 %; the young one is unready and counts 0 % on the way up: 66 % -> reverses, keep 3.
    expect(calculateReplicas(o, DEFAULT_HPA_CONFIG).replicas).toBe(3);
  });

  it('cannot compute without any metrics, or without pods', () => {
    const none = calculateReplicas(
      observation(T0, pods(3, { metrics: false })),
      DEFAULT_HPA_CONFIG,
    );
    expect(none.replicas).toBeUndefined();
    expect(none.factors).toEqual(['no_metrics']);
    expect(calculateReplicas(observation(T0, []), DEFAULT_HPA_CONFIG).replicas).toBeUndefined();
  });
});

describe('the HPA with its default behaviour', () => {
  it('scales up at once, by at most max(100 %, 4 pods) per 15 s', () => {
    const hpa = new HpaPolicy();
    // 1 pod at 10x the target: wants 10, may add max(4, 100 %) = 5.
    const d = hpa.decide(input(observation(T0, pods(1, { cpu: 3500 }), { cpuLimit: 4000 })));
    expect(d.replicas).toEqual({ current: 1, desired: 5 });
    expect(d.explanation.factors).toContain('scale_up_rate_limited');
    // 15 s later the period has passed: from 5 it may go to 10.
    const d2 = hpa.decide(
      input(observation(T0 + 15_000, pods(5, { cpu: 3500 }), { cpuLimit: 4000 })),
    );
    expect(d2.replicas).toEqual({ current: 5, desired: 10 });
  });

  it('holds a scale-down for 300 s, at the highest recent recommendation', () => {
    const hpa = new HpaPolicy();
    let t = T0;
    expect(hpa.decide(input(observation(t, pods(6, { cpu: 350 })))).replicas?.desired).toBe(6);
    // Load falls to a third: the calculator wants 2, stabilisation keeps 6 for 300 s.
    for (let i = 0; i < 19; i++) {
      t += 15_000;
      const d = hpa.decide(input(observation(t, pods(6, { cpu: 117 }))));
      expect(d.replicas?.desired, `after ${t - T0} ms`).toBe(6);
      expect(d.explanation.factors).toContain('scale_down_stabilized');
    }
    t += 15_000;
    expect(hpa.decide(input(observation(t, pods(6, { cpu: 117 })))).replicas?.desired).toBe(2);
  });

  it('respects min and max replicas', () => {
    const hpa = new HpaPolicy();
    expect(
      hpa.decide(input(observation(T0, pods(3, { cpu: 490 })), { maxReplicas: 4 })).replicas
        ?.desired,
    ).toBe(4);
    expect(
      hpa.decide(input(observation(T0, pods(12, { cpu: 400 })), { maxReplicas: 10 })).replicas
        ?.desired,
    ).toBe(10);
    expect(
      new HpaPolicy().decide(input(observation(T0, pods(1, { cpu: 400 })), { minReplicas: 3 }))
        .replicas?.desired,
    ).toBe(3);
  });

  it('holds, saying why, when it cannot compute', () => {
    const d = new HpaPolicy().decide(input(observation(T0, pods(2, { metrics: false }))));
    expect(d).toMatchObject({ replicas: { current: 2, desired: 2 }, canScale: false });
    expect(d.explanation.reasoning).toMatch(/did not receive metrics/);
  });

  it('takes a configurable target', () => {
    const hpa90 = new HpaPolicy({ targetCpuUtilization: 90 }, 'hpa-90');
    // 4 pods at 98 %: 98/90 = 1.089, within tolerance at 90 % (but not at 70 %).
    expect(hpa90.decide(input(observation(T0, pods(4, { cpu: 490 })))).replicas?.desired).toBe(4);
    expect(hpa90.name).toBe('hpa-90');
    expect(() => new HpaPolicy({ targetCpuUtilization: 0 })).toThrow(/target/);
  });
});
