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
      input(observation(0, pods(1, { cpu: 100, memory: 50 * 2 ** 20 })), {
        maxCpuMillicores: 700,
        minMemoryBytes: 200 * 2 ** 20,
      }),
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

describe('the floors of a vertical decision', () => {
  const MiB = 2 ** 20;
  const vertical = (cpu: [number, number], memory: [number, number]): Decision => ({
    ...horizontal(1, 1),
    kind: 'vertical',
    replicas: undefined,
    resources: {
      cpu: { current: cpu[0], new: cpu[1], change_percent: 0, action: 'MAINTAIN' },
      memory: { current: memory[0], new: memory[1], change_percent: 0, action: 'MAINTAIN' },
    },
  });

  it("never lowers memory below the busiest pod's usage plus 30 %", () => {
    const o = observation(0, [
      { cpu: 100, memory: 100 * MiB },
      { cpu: 100, memory: 150 * MiB },
    ]);
    const g = applyGuardrails(vertical([0.5, 0.5], [256, 150]), input(o));
    expect(g.resources?.memory.new).toBe(195);
    expect(g.guardrails).toContain("memory kept 30 % above the busiest pod's usage");
  });

  it('raises memory, with room to spare, when a pod uses more than 87 % of it', () => {
    const o = observation(0, pods(2, { cpu: 100, memory: 240 * MiB }));
    const g = applyGuardrails(vertical([0.5, 0.5], [256, 256]), input(o));
    expect(g.resources?.memory).toMatchObject({ new: 312, action: 'INCREASE' });
    expect(g.canScale).toBe(true);
    const calm = observation(0, pods(2, { cpu: 100, memory: 200 * MiB }));
    expect(applyGuardrails(vertical([0.5, 0.5], [256, 256]), input(calm)).canScale).toBe(false);
  });

  it('does not make changes under 5 %', () => {
    const o = observation(0, pods(2, { cpu: 100, memory: 100 * MiB }));
    const g = applyGuardrails(vertical([0.5, 0.51], [256, 250]), input(o));
    expect(g.canScale).toBe(false);
    expect(g.guardrails).toEqual(
      expect.arrayContaining(['cpu change under 5 % not made', 'memory change under 5 % not made']),
    );
  });

  it('does not lower CPU under a pod that is using nearly all of it', () => {
    const busy = observation(0, pods(2, { cpu: 450 }));
    expect(
      applyGuardrails(vertical([0.5, 0.3], [256, 256]), input(busy)).resources?.cpu,
    ).toMatchObject({
      new: 0.5,
      action: 'MAINTAIN',
    });
    const idle = observation(0, pods(2, { cpu: 255 }));
    expect(applyGuardrails(vertical([0.5, 0.1], [256, 256]), input(idle)).resources?.cpu.new).toBe(
      0.3,
    );
  });

  it('lowers nothing without usage metrics', () => {
    const blind = observation(0, pods(2, { metrics: false }));
    const g = applyGuardrails(vertical([0.5, 0.25], [256, 128]), input(blind));
    expect(g.resources?.cpu.new).toBe(0.5);
    expect(g.resources?.memory.new).toBe(256);
    expect(g.canScale).toBe(false);
  });

  it('raises memory after an OOM kill, as the VPA does', () => {
    const o = observation(0, [
      { cpu: 100, memory: 100 * MiB },
      { ready: false, phase: 'CrashLoopBackOff', restarts: 3, lastTerminationReason: 'OOMKilled' },
    ]);
    const g = applyGuardrails(vertical([0.5, 0.5], [256, 200]), input(o));
    expect(g.resources?.memory).toMatchObject({ new: 356, action: 'INCREASE' });
    expect(g.guardrails).toContain('memory raised after an OOM kill (by 20 %, at least 100 MiB)');
  });

  it('raises memory when every pod is crash-looping out of memory and none reports usage', () => {
    const o = observation(
      0,
      pods(3, {
        ready: false,
        phase: 'CrashLoopBackOff',
        restarts: 5,
        lastTerminationReason: 'OOMKilled',
      }),
    );
    const g = applyGuardrails(vertical([0.5, 0.5], [64, 64]), input(o));
    expect(g.resources?.memory).toMatchObject({ new: 96, action: 'INCREASE' });
    expect(g.resources?.cpu.new).toBe(0.5);
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
