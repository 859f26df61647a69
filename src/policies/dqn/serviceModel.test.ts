import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BREACH_LIMIT,
  emptyServiceModel,
  FORGET_BREACH_AFTER,
  estimateKnee,
  observeService,
  parseServiceModel,
  RETAKE_AFTER,
  servingSettled,
  SETTLE_MS,
  updateMode,
} from './serviceModel.js';

/** The p95 of an M/M/1 pod: base + ln 20 / (mu (1 - rho)), in ms. */
const p95 = (rho: number, baseMs: number, mu: number) =>
  baseMs + (Math.log(20) * 1000) / (mu * (1 - rho));
const trueKnee = (baseMs: number, mu: number, sloMs: number) =>
  1 - (Math.log(20) * 1000) / (mu * (sloMs - baseMs));

describe('the knee learned from latency', () => {
  it('never overstates the knee from readings within the SLO, whatever the workload', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 150, noNaN: true }),
        fc.double({ min: 5, max: 2000, noNaN: true }),
        fc.double({ min: 0.35, max: 0.97, noNaN: true }),
        fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (baseMs, mu, knee, fractions) => {
          const slo = baseMs + (Math.log(20) * 1000) / (mu * (1 - knee));
          const m = emptyServiceModel();
          // Readings at utilisations up to the knee, three of each so that every bin counts.
          for (const f of fractions)
            for (let k = 0; k < 3; k++) {
              const rho = f * knee;
              observeService(m, { rho, ratio: p95(rho, baseMs, mu) / slo, breached: false });
            }
          expect(estimateKnee(m).knee).toBeLessThanOrEqual(knee + 0.02);
        },
      ),
    );
  });

  it('comes close to the true knee once the workload has run near it', () => {
    const [base, mu, slo] = [20, 100, 200];
    const m = emptyServiceModel();
    for (const rho of [0.5, 0.6, 0.7, 0.75])
      for (let k = 0; k < 5; k++)
        observeService(m, { rho, ratio: p95(rho, base, mu) / slo, breached: false });
    const e = estimateKnee(m);
    expect(e.confident).toBe(true);
    expect(e.knee).toBeGreaterThan(trueKnee(base, mu, slo) - 0.03);
    expect(e.knee).toBeLessThanOrEqual(trueKnee(base, mu, slo) + 0.01);
  });

  it('fits base and slope where the base latency is most of the SLO', () => {
    // Base 150 ms of an SLO of 200: the knee is 40 %; the bound from 30 % alone says 32 %.
    const [base, mu, slo] = [150, 100, 200];
    const m = emptyServiceModel();
    for (const rho of [0.1, 0.2, 0.3])
      for (let k = 0; k < 5; k++)
        observeService(m, { rho, ratio: p95(rho, base, mu) / slo, breached: false });
    expect(estimateKnee(m).knee).toBeGreaterThan(0.38);
    expect(estimateKnee(m).knee).toBeLessThanOrEqual(0.41);
  });

  it('puts the knee below a utilisation seen to break the SLO', () => {
    const m = emptyServiceModel();
    for (let k = 0; k < 5; k++) {
      observeService(m, { rho: 0.3, ratio: 0.5, breached: false });
      observeService(m, { rho: 0.62, ratio: 1.4, breached: true });
    }
    const e = estimateKnee(m);
    expect(e.brokenFrom).toBeCloseTo(0.62, 6);
    expect(e.knee).toBeLessThanOrEqual(0.6 + 1e-9);
  });

  it('forgets a breach it has not seen again for an hour, and counts no pair while pods start', () => {
    const m = emptyServiceModel();
    for (let k = 0; k < 5; k++) observeService(m, { rho: 0.62, ratio: 1.4, breached: true });
    observeService(m, { rho: 0.9, ratio: 2, breached: true }, false);
    expect(m.bins[18]).toBeNull();
    expect(m.recentBreaches.slice(-1)).toEqual([1]);
    for (let k = 0; k < FORGET_BREACH_AFTER; k++)
      observeService(m, { rho: 0.4, ratio: 0.3, breached: false });
    expect(estimateKnee(m).brokenFrom).toBeCloseTo(0.62, 6);
    observeService(m, { rho: 0.4, ratio: 0.3, breached: false });
    expect(estimateKnee(m).brokenFrom).toBeUndefined();
  });

  it('starts a forgotten breach afresh: one reading within the SLO does not bring it back', () => {
    const m = emptyServiceModel();
    for (let k = 0; k < 5; k++) observeService(m, { rho: 0.67, ratio: 1.5, breached: true });
    for (let k = 0; k <= FORGET_BREACH_AFTER; k++)
      observeService(m, { rho: 0.4, ratio: 0.3, breached: false });
    expect(estimateKnee(m).brokenFrom).toBeUndefined();
    // Its old average (1.5) moved a tenth of the way to 0.6 would still read as a breach.
    for (let k = 0; k < 3; k++) observeService(m, { rho: 0.67, ratio: 0.6, breached: false });
    const e = estimateKnee(m);
    expect(e.brokenFrom).toBeUndefined();
    expect(e.knee).toBeGreaterThan(0.8);
  });

  it('takes no pair until the serving pods have been unchanged for 30 s', () => {
    const m = emptyServiceModel();
    // Pods first seen have served for as long as anyone knows.
    expect(servingSettled(m, 4, 0)).toBe(true);
    expect(servingSettled(m, 5, 1000)).toBe(false);
    expect(servingSettled(m, 5, 1000 + SETTLE_MS - 1)).toBe(false);
    expect(servingSettled(m, 5, 1000 + SETTLE_MS)).toBe(true);
    // A scale-down: metrics-server still spreads the load over the old count.
    expect(servingSettled(m, 3, SETTLE_MS + 16_000)).toBe(false);
    expect(servingSettled(m, 3, 2 * SETTLE_MS + 16_000)).toBe(true);
    // A clock that went back (a restored state from another replica) starts again.
    expect(servingSettled(m, 3, 0)).toBe(false);
  });
});

describe('who decides', () => {
  it('hands control back after a sustained breach, with the reason, and takes it again after a clean run', () => {
    const m = emptyServiceModel();
    for (let k = 0; k < 20; k++) observeService(m, { rho: 0.5, ratio: 0.5, breached: false });
    updateMode(m, 0, estimateKnee(m));
    expect(m.mode).toBe('learned');
    for (let k = 0; k < BREACH_LIMIT; k++) {
      observeService(m, { rho: 0.7, ratio: 1.3, breached: true });
      updateMode(m, 1000 * k, estimateKnee(m));
    }
    expect(m.mode).toBe('baseline');
    expect(m.handback?.reason).toMatch(/breached in 3 of the last/);
    for (let k = 0; k < RETAKE_AFTER - 1; k++) {
      observeService(m, { rho: 0.45, ratio: 0.6, breached: false });
      updateMode(m, 10_000 + k, estimateKnee(m));
    }
    expect(m.mode).toBe('baseline');
    observeService(m, { rho: 0.45, ratio: 0.6, breached: false });
    updateMode(m, 20_000, estimateKnee(m));
    expect(m.mode).toBe('learned');
  });

  it('round-trips through its exported form and refuses what is not one', () => {
    const m = emptyServiceModel();
    observeService(m, { rho: 0.5, ratio: 0.5, breached: false });
    servingSettled(m, 3, 45_000);
    expect(parseServiceModel(JSON.parse(JSON.stringify(m)))).toEqual(m);
    expect(parseServiceModel({ bins: [1, 2] })).toBeUndefined();
    expect(parseServiceModel(null)).toBeUndefined();
  });
});
