import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { limitReplicas, pruneHistory, type ReplicaHistory } from './behavior.js';

const empty = (): ReplicaHistory => ({ recommendations: [], changes: [] });

describe('limitReplicas (the HPA behavior)', () => {
  it('leaves a recommendation alone when the direction has no rules', () => {
    expect(
      limitReplicas(4, 10, { scaleDown: { stabilizationWindowSeconds: 300 } }, empty(), 0),
    ).toEqual({
      replicas: 10,
    });
  });

  it('holds a scale-down at the highest recommendation of the window', () => {
    const h: ReplicaHistory = {
      recommendations: [
        { timeMs: 0, replicas: 9 },
        { timeMs: 100_000, replicas: 7 },
      ],
      changes: [],
    };
    const behavior = { scaleDown: { stabilizationWindowSeconds: 300 } };
    const r = limitReplicas(10, 5, behavior, h, 200_000);
    expect(r.replicas).toBe(9);
    expect(r.limitedBy).toMatch(/stabilizationWindowSeconds.*9/);
    // Once the 9 has left the window, 7 is the highest.
    expect(limitReplicas(10, 5, behavior, h, 301_000).replicas).toBe(7);
  });

  it('counts the changes of the period: 4 pods a minute allows 2 more after 2', () => {
    const behavior = {
      scaleUp: { policies: [{ type: 'Pods' as const, value: 4, periodSeconds: 60 }] },
    };
    const h: ReplicaHistory = { recommendations: [], changes: [{ timeMs: 30_000, delta: 2 }] };
    const r = limitReplicas(6, 20, behavior, h, 60_000);
    expect(r.replicas).toBe(8);
    expect(r.limitedBy).toMatch(/allow 8 replicas/);
    // A minute after the change, the period starts afresh.
    expect(limitReplicas(6, 20, behavior, h, 91_000).replicas).toBe(10);
  });

  it('selects the policy that allows the most change, or the least with Min', () => {
    const policies = [
      { type: 'Pods' as const, value: 4, periodSeconds: 60 },
      { type: 'Percent' as const, value: 100, periodSeconds: 60 },
    ];
    expect(limitReplicas(10, 40, { scaleUp: { policies } }, empty(), 0).replicas).toBe(20);
    expect(
      limitReplicas(10, 40, { scaleUp: { policies, selectPolicy: 'Min' } }, empty(), 0).replicas,
    ).toBe(14);
    expect(
      limitReplicas(
        10,
        1,
        { scaleDown: { policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } },
        empty(),
        0,
      ).replicas,
    ).toBe(5);
  });

  it('forbids a direction whose selectPolicy is Disabled', () => {
    const r = limitReplicas(5, 2, { scaleDown: { selectPolicy: 'Disabled' } }, empty(), 0);
    expect(r).toEqual({ replicas: 5, limitedBy: 'scaleDown.selectPolicy is Disabled' });
  });

  it('never moves the other way, nor further than recommended', () => {
    const rules = fc.record({
      stabilizationWindowSeconds: fc.integer({ min: 0, max: 600 }),
      selectPolicy: fc.constantFrom('Max' as const, 'Min' as const, 'Disabled' as const),
      policies: fc.array(
        fc.record({
          type: fc.constantFrom('Pods' as const, 'Percent' as const),
          value: fc.integer({ min: 1, max: 200 }),
          periodSeconds: fc.integer({ min: 1, max: 600 }),
        }),
        { maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 400 }),
        rules,
        rules,
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 600_000 }),
            r: fc.integer({ min: 0, max: 400 }),
          }),
        ),
        fc.array(
          fc.record({
            t: fc.integer({ min: 0, max: 600_000 }),
            d: fc.integer({ min: -50, max: 50 }),
          }),
        ),
        (current, recommended, scaleUp, scaleDown, recs, changes) => {
          const h: ReplicaHistory = {
            recommendations: recs
              .map((x) => ({ timeMs: x.t, replicas: x.r }))
              .sort((a, b) => a.timeMs - b.timeMs),
            changes: changes
              .map((x) => ({ timeMs: x.t, delta: x.d }))
              .sort((a, b) => a.timeMs - b.timeMs),
          };
          const { replicas } = limitReplicas(
            current,
            recommended,
            { scaleUp, scaleDown },
            h,
            600_000,
          );
          const lo = Math.min(current, recommended);
          const hi = Math.max(current, recommended);
          return replicas >= lo && replicas <= hi && Number.isInteger(replicas);
        },
      ),
    );
  });

  it('prunes what no window or period reads', () => {
    const h: ReplicaHistory = {
      recommendations: [
        { timeMs: 0, replicas: 1 },
        { timeMs: 250_000, replicas: 2 },
      ],
      changes: [{ timeMs: 100_000, delta: 1 }],
    };
    pruneHistory(h, { scaleDown: { stabilizationWindowSeconds: 120 } }, 300_000);
    expect(h.recommendations).toEqual([{ timeMs: 250_000, replicas: 2 }]);
    expect(h.changes).toEqual([]);
  });
});
