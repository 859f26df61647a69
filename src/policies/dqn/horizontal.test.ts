import { describe, expect, it } from 'vitest';
import { observation, pods } from '../testing/observations.js';
import {
  HORIZONTAL_ACTIONS,
  HORIZONTAL_FEATURES,
  type DemandHistory,
  horizontalState,
  replicasForAction,
} from './horizontal.js';

describe('horizontal DQN state', () => {
  it('has one value per named feature, and they are scale-free', () => {
    const small: DemandHistory = { demand: [] };
    const large: DemandHistory = { demand: [] };
    const a = horizontalState(observation(0, pods(2, { cpu: 300 })), small, 100);
    const b = horizontalState(observation(0, pods(20, { cpu: 300 })), large, 100);
    expect(a.features).toHaveLength(HORIZONTAL_FEATURES.length);
    // Demand per replica and the usage of the limit do not depend on the scale.
    expect(a.features[0]).toBeCloseTo(0.6, 6);
    expect(b.features[0]).toBeCloseTo(0.6, 6);
    expect(a.features[9]).toBeCloseTo(b.features[9]!, 6);
    expect(a.demand).toBeCloseTo(1.2, 6);
  });

  it('keeps a window of demand for its history, trend and peak', () => {
    const h: DemandHistory = { demand: [] };
    let s = horizontalState(observation(0, pods(4, { cpu: 200 })), h, 100);
    for (const cpu of [250, 300, 350, 400])
      s = horizontalState(observation(0, pods(4, { cpu })), h, 100);
    expect(h.demand).toHaveLength(5);
    expect(s.demand).toBeCloseTo(3.2, 6);
    expect(s.trend).toBeCloseTo(0.4, 6);
    expect(s.peak).toBeCloseTo(3.2, 6);
    expect(s.features[1]).toBeCloseTo(0.7, 6);
    expect(s.features[4]).toBeCloseTo(0.4, 6);
  });

  it('holds its history when there are no metrics', () => {
    const h: DemandHistory = { demand: [1, 1] };
    const s = horizontalState(observation(0, pods(2, { metrics: false })), h, 100);
    expect(s.demand).toBeUndefined();
    expect(h.demand).toEqual([1, 1]);
    expect(s.features[11]).toBe(1);
  });
});

describe('horizontal DQN actions', () => {
  const state = (demand: number, trend = 0, peak = demand) => ({
    features: new Float32Array(),
    demand,
    trend,
    peak,
  });

  it('HOLD keeps the replicas until demand passes the safe maximum', () => {
    expect(HORIZONTAL_ACTIONS[0]).toBe('HOLD');
    expect(replicasForAction(0, 5, state(3.8))).toBe(5);
    expect(replicasForAction(0, 5, state(1, 0, 1))).toBe(5);
    // 3.88 pods of demand on 5 is 80 % with the headroom of 0.15 pod (4.85 + 0.15 = 5);
    // beyond it HOLD adds what brings demand back to 80 %.
    expect(replicasForAction(0, 5, state(3.88))).toBe(5);
    expect(replicasForAction(0, 5, state(3.8, 0.1))).toBe(6);
    expect(replicasForAction(0, 5, state(20))).toBe(26);
  });

  it('a target scales up at once to cover demand and its trend', () => {
    const t77 = HORIZONTAL_ACTIONS.indexOf('TARGET_77');
    // 7.5 / 0.77 + 0.15 = 9.89: 10 pods.
    expect(replicasForAction(t77, 5, state(7.5))).toBe(10);
    // 2 steps of a trend of 0.4 pods per step are added: 8.3 / 0.77 + 0.15 = 10.9: 11.
    expect(replicasForAction(t77, 5, state(7.5, 0.4))).toBe(11);
  });

  it('keeps a small workload off the edge of its only pod', () => {
    const t80 = HORIZONTAL_ACTIONS.indexOf('TARGET_80');
    // 0.7 pods of demand is 87.5 % of the target on one pod: with the headroom, two.
    expect(replicasForAction(t80, 1, state(0.7))).toBe(2);
    expect(replicasForAction(t80, 1, state(0.6))).toBe(1);
  });

  it('scales down only as far as the recent peak allows', () => {
    const t80 = HORIZONTAL_ACTIONS.indexOf('TARGET_80');
    // A peak of 6.2 pods at 80 % is 7.75 + 0.15: 8.
    expect(replicasForAction(t80, 10, state(4, 0, 6.2))).toBe(8);
    expect(replicasForAction(t80, 10, state(4, 0, 8.4))).toBe(10);
    expect(replicasForAction(t80, 3, state(0, 0, 0))).toBe(1);
    expect(replicasForAction(t80, 3, { ...state(0), demand: undefined })).toBe(3);
  });
});
