import { describe, expect, it } from 'vitest';
import { type ResultRow, combineSeeds, finishResults, verdicts } from './report.js';

const row = (policy: string, cost: number, violations: number, actions = 10): ResultRow => ({
  policy,
  config: {},
  costCoreHours: cost,
  sloViolationPct: violations,
  p95LatencyMs: 100,
  droppedPct: 0,
  scalingActions: actions,
});

describe('verdicts', () => {
  it('compares with the cheapest HPA target that meets the SLO, chosen with hindsight', () => {
    const [v] = verdicts(
      [
        row('hpa-50', 120, 0),
        row('hpa-60', 100, 0.2, 8),
        row('hpa-70', 90, 3),
        row('dqn', 95, 0.1, 16),
      ],
      0.5,
    );
    expect(v).toMatchObject({
      policy: 'dqn',
      outcome: 'win',
      bestHpa: 'hpa-60',
      costVsBestHpa: 0.95,
      actionsVsBestHpa: 2,
    });
  });

  it('never counts a shared miss of the SLO as a win', () => {
    const [v] = verdicts([row('hpa-50', 120, 2), row('dqn', 60, 3), row('oracle', 50, 0)], 0.5);
    expect(v!.outcome).toBe('no verdict');
    expect(v!.text).toMatch(/every HPA target miss/);
  });

  it('calls a cheaper policy that misses the SLO a loss, and a dearer one that meets it a loss on cost', () => {
    const hpas = [row('hpa-40', 150, 0), row('hpa-80', 80, 10)];
    expect(verdicts([...hpas, row('dqn', 70, 1)], 0.5)[0]).toMatchObject({
      outcome: 'loss',
      bestHpa: 'hpa-40',
    });
    const dearer = verdicts([...hpas, row('dqn', 160, 0)], 0.5)[0]!;
    expect(dearer.outcome).toBe('loss');
    expect(dearer.text).toMatch(/LOSES on cost: 1.067x/);
  });

  it('calls the same cost a tie, as when both sit at the minimum', () => {
    expect(verdicts([row('hpa-40', 12, 0), row('dqn', 12, 0)], 0.5)[0]!.outcome).toBe('tie');
  });

  it('holds a policy to its worst seed', () => {
    const seeded = {
      ...row('dqn', 0, 0),
      ...combineSeeds([
        { seed: '1', ...row('dqn', 90, 0) },
        { seed: '2', ...row('dqn', 92, 0.9) },
      ]),
    };
    expect(seeded.sloViolationPct).toBeCloseTo(0.45);
    expect(seeded.worstSloViolationPct).toBe(0.9);
    expect(verdicts([row('hpa-60', 100, 0), seeded], 0.5)[0]!.outcome).toBe('loss');
    expect(verdicts([row('hpa-60', 100, 0), seeded], 1)[0]!.outcome).toBe('win');
  });

  it('adds the verdicts and the ratio to the oracle to each trace', () => {
    const out = finishResults([
      { trace: 't', results: [row('hpa', 100, 0), row('dqn', 90, 0), row('oracle', 80, 0)] },
    ]);
    expect(out.sloTargetPct).toBe(0.5);
    expect(out.traces[0]!.results[1]!.costVsOracle).toBe(1.125);
    expect(out.traces[0]!.verdicts).toHaveLength(1);
  });
});
