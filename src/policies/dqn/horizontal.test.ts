import { describe, expect, it } from 'vitest';
import { observation, pods } from '../testing/observations.js';
import {
  baselineReplicas,
  emptyMemory,
  HORIZONTAL_ACTIONS,
  HORIZONTAL_FEATURES,
  horizontalState,
  replicasForAction,
} from './horizontal.js';
import { ASSUMED_KNEE, CONFIDENT_SAMPLES } from './serviceModel.js';

const ctx = { maxReplicas: 100 };
const slo = { latencyP95Ms: 200, maxDropRatio: 0.001 };
const service = (latencyP95Ms: number, timestampMs = 0) => ({
  latencyP95Ms,
  dropRatio: 0,
  windowMs: 30_000,
  timestampMs,
});

describe('horizontal DQN state', () => {
  it('has one value per named feature, and they are scale-free', () => {
    const a = horizontalState(observation(0, pods(2, { cpu: 300 })), emptyMemory(), ctx);
    const b = horizontalState(observation(0, pods(20, { cpu: 300 })), emptyMemory(), ctx);
    expect(a.features).toHaveLength(HORIZONTAL_FEATURES.length);
    // Demand per replica over the knee (assumed: no SLO) does not depend on the scale.
    expect(a.features[0]).toBeCloseTo(0.6 / ASSUMED_KNEE, 5);
    expect(b.features[0]).toBeCloseTo(0.6 / ASSUMED_KNEE, 5);
    expect(a.features[9]).toBeCloseTo(b.features[9]!, 6);
    expect(a.demand).toBeCloseTo(1.2, 6);
    expect(a.control).toBe('assumed');
    expect(a.controlReason).toMatch(/no SLO/);
    expect(a.features[15]).toBe(0);
  });

  it('keeps a window of demand for its history, trend and peak', () => {
    const m = emptyMemory();
    let s = horizontalState(observation(0, pods(4, { cpu: 200 })), m, ctx);
    for (const cpu of [250, 300, 350, 400])
      s = horizontalState(observation(0, pods(4, { cpu })), m, ctx);
    expect(m.demand).toHaveLength(5);
    expect(s.demand).toBeCloseTo(3.2, 6);
    expect(s.trend).toBeCloseTo(0.4, 6);
    expect(s.peak).toBeCloseTo(3.2, 6);
    expect(s.features[1]).toBeCloseTo(0.7 / ASSUMED_KNEE, 5);
    expect(s.features[4]).toBeCloseTo(0.4 / ASSUMED_KNEE, 5);
  });

  it('holds its history when there are no metrics', () => {
    const m = { ...emptyMemory(), demand: [1, 1] };
    const s = horizontalState(observation(0, pods(2, { metrics: false })), m, ctx);
    expect(s.demand).toBeUndefined();
    expect(m.demand).toEqual([1, 1]);
    expect(s.features[12]).toBe(1);
  });

  it('lets the baseline decide until the latency has been seen long enough, then the network', () => {
    const m = emptyMemory();
    const o = (t: number) => ({
      ...observation(t, pods(4, { cpu: 300 })),
      service: service(20 + 30 / 0.4, t),
    });
    let s = horizontalState(o(0), m, { ...ctx, slo });
    expect(s.control).toBe('baseline');
    expect(s.controlReason).toMatch(/learning the workload: 1 of 20/);
    expect(s.latencyRatio).toBeCloseTo(95 / 200, 5);
    // No interval breached the SLO yet.
    expect(s.features[10]).toBe(0);
    for (let i = 1; i < CONFIDENT_SAMPLES; i++) s = horizontalState(o(i), m, { ...ctx, slo });
    expect(s.control).toBe('learned');
    // p95 of 95 ms at 60 % CPU against 200 ms: the knee is at least 1 - 0.475 × 0.4 = 81 %.
    expect(s.knee).toBeCloseTo(0.81, 2);
  });

  it('projects the trend over the startup it measured', () => {
    const m = emptyMemory();
    const t0 = 1_000_000;
    horizontalState(
      observation(t0, pods(2, { cpu: 300, ready: false, startedMsAgo: 10_000 })),
      m,
      ctx,
    );
    const s = horizontalState(
      observation(t0 + 120_000, pods(2, { cpu: 300, startedMsAgo: 130_000, readyMsAgo: 10_000 })),
      m,
      ctx,
    );
    // Started 130 s ago, Ready for 10 s: 120 s of startup, eight 15-s steps, of which at most
    // four of trend are projected (a noisy trend over two minutes overshoots).
    expect(m.service.startupMs).toBe(120_000);
    expect(s.leadSteps).toBe(4);
    expect(s.features[13]).toBeCloseTo(1, 6);
  });
});

describe('horizontal DQN actions', () => {
  const state = (demand: number, trend = 0, peak = demand, knee = 0.8) => ({
    demand,
    trend,
    peak,
    knee,
    leadSteps: 2,
  });

  it('HOLD keeps the replicas until demand passes the knee', () => {
    expect(HORIZONTAL_ACTIONS[0]).toBe('HOLD');
    expect(replicasForAction(0, 5, state(3.6))).toBe(5);
    expect(replicasForAction(0, 5, state(1, 0, 1))).toBe(5);
    // 3.88 pods of demand on 5 is a knee of 80 % with 0.15 pod of headroom.
    expect(replicasForAction(0, 5, state(3.88))).toBe(5);
    expect(replicasForAction(0, 5, state(3.72, 0.1))).toBe(6);
    expect(replicasForAction(0, 5, state(20))).toBe(26);
  });

  it('a target is a fraction of the knee: the same action asks for more pods where latency breaks sooner', () => {
    const k75 = HORIZONTAL_ACTIONS.indexOf('KNEE_75');
    // 7.5 / (0.75 × 0.8) + 0.15 = 12.65: 13 pods.
    expect(replicasForAction(k75, 5, state(7.5))).toBe(13);
    // Where latency breaks at 40 %: 7.5 / (0.75 × 0.4) + 0.15 = 25.15: 26.
    expect(replicasForAction(k75, 5, state(7.5, 0, 7.5, 0.4))).toBe(26);
    // Two steps of a trend of 0.4 pods per step are added: 8.3 / 0.6 + 0.15 = 13.98: 14.
    expect(replicasForAction(k75, 5, state(7.5, 0.4))).toBe(14);
  });

  it('scales down only as far as the recent peak allows', () => {
    const k100 = HORIZONTAL_ACTIONS.indexOf('KNEE_100');
    // A peak of 6 pods, with the 10 % tolerance, at the knee of 0.8: 8.25 + 0.15: 9.
    expect(replicasForAction(k100, 10, state(4, 0, 6))).toBe(9);
    expect(replicasForAction(k100, 10, state(4, 0, 7.6))).toBe(10);
    // Just past a boundary on the way up, it does not come straight back down.
    const k92 = HORIZONTAL_ACTIONS.indexOf('KNEE_93');
    expect(replicasForAction(k92, 10, state(6.8, 0, 6.8))).toBe(10);
    expect(replicasForAction(k92, 11, state(6.8, 0, 6.8))).toBe(11);
    expect(replicasForAction(k100, 3, state(0, 0, 0))).toBe(1);
    expect(replicasForAction(k100, 3, { ...state(0), demand: undefined })).toBe(3);
  });

  it('the baseline aims at 70 %, or lower where the knee is', () => {
    // 7 pods of demand at 70 %: 10 + 0.15: 11.
    expect(baselineReplicas(5, state(7))).toBe(11);
    // A knee of 50 %: 85 % of it is 42.5 %: 7 / 0.425 + 0.15 = 16.6: 17.
    expect(baselineReplicas(5, state(7, 0, 7, 0.5))).toBe(17);
  });
});
