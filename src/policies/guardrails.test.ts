import { describe, expect, it } from 'vitest';
import { applyGuardrails, decisionIsSound, withFallback } from './guardrails.js';
import { HpaPolicy } from './hpa/hpa.js';
import { input, observation, pods } from './testing/observations.js';
import type { Decision, PolicyInput, ScalingPolicy } from './types.js';

const horizontal = (current: number, desired: number): Decision => ({
  policy: 'p',
  kind: 'horizontal',
  namespace: 'default',
  name: 'web',
  timeMs: 0,
  replicas: { current, desired },
  canScale: current !== desired,
  explanation: { reasoning: '', factors: [] },
});

describe('applyGuardrails', () => {
  const i = input(observation(0, pods(4, { cpu: 100 })), { minReplicas: 2, maxReplicas: 20 });

  it('holds replicas within the bounds and says so', () => {
    expect(applyGuardrails(horizontal(4, 1), i).replicas?.desired).toBe(2);
    const capped = applyGuardrails(horizontal(15, 40), i);
    expect(capped.replicas?.desired).toBe(20);
    expect(capped.guardrails).toContain('replicas held within [2, 20]');
  });

  it('limits how fast replicas change', () => {
    expect(applyGuardrails(horizontal(4, 30), i).replicas?.desired).toBe(8);
    expect(applyGuardrails(horizontal(1, 30), i).replicas?.desired).toBe(5);
    expect(applyGuardrails(horizontal(10, 2), i).replicas?.desired).toBe(5);
    expect(applyGuardrails(horizontal(4, 4), i)).toMatchObject({
      canScale: false,
      replicas: { desired: 4 },
    });
  });

  it('holds vertical changes within min and max CPU and memory and the step limit', () => {
    const d: Decision = {
      ...horizontal(1, 1),
      kind: 'vertical',
      replicas: undefined,
      resources: {
        cpu: { current: 0.5, new: 5, change_percent: 900, action: 'INCREASE' },
        memory: { current: 256, new: 10, change_percent: -96, action: 'DECREASE' },
      },
    };
    const g = applyGuardrails(
      d,
      input(observation(0, pods(1)), { maxCpuMillicores: 700, minMemoryBytes: 200 * 2 ** 20 }),
    );
    expect(g.resources?.cpu).toEqual({
      current: 0.5,
      new: 0.7,
      change_percent: 40,
      action: 'INCREASE',
    });
    expect(g.resources?.memory).toEqual({
      current: 256,
      new: 200,
      change_percent: -21.875,
      action: 'DECREASE',
    });
    expect(g.guardrails).toEqual(
      expect.arrayContaining(['cpu held within [0.1, 0.7]', 'memory held within [200, 16384]']),
    );
  });
});

describe('withFallback', () => {
  const i: PolicyInput = input(observation(0, pods(4, { cpu: 490 })));
  const broken = (decide: () => Decision): ScalingPolicy => ({
    name: 'dqn',
    kind: 'horizontal',
    decide,
  });

  it('lets the HPA decide when the policy throws, recording why', () => {
    const events: string[] = [];
    const p = withFallback(
      broken(() => {
        throw new Error('model not loaded');
      }),
      new HpaPolicy(),
      (e) => events.push(e.reason),
    );
    const d = p.decide(i);
    expect(d.policy).toBe('hpa');
    expect(d.replicas?.desired).toBe(6);
    expect(d.fallback).toEqual({ from: 'dqn', reason: 'dqn failed: model not loaded' });
    expect(events).toEqual(['dqn failed: model not loaded']);
  });

  it('lets the HPA decide when the policy answers NaN or a fraction', () => {
    const nan = withFallback(
      broken(() => horizontal(4, Number.NaN)),
      new HpaPolicy(),
    );
    expect(nan.decide(i).fallback?.reason).toMatch(/non-finite/);
    const frac = withFallback(
      broken(() => horizontal(4, 4.5)),
      new HpaPolicy(),
    );
    expect(frac.decide(i).policy).toBe('hpa');
    expect(
      decisionIsSound({
        ...horizontal(1, 2),
        qValues: { replicas: [1, Number.POSITIVE_INFINITY] },
      }),
    ).toBe(false);
  });

  it('passes a sound decision through untouched', () => {
    const p = withFallback(
      broken(() => horizontal(4, 5)),
      new HpaPolicy(),
    );
    expect(p.decide(i)).toEqual(horizontal(4, 5));
    expect(p.decideBatch!([i, i]).map((d) => d.replicas?.desired)).toEqual([5, 5]);
  });
});
