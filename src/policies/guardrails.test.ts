import { describe, expect, it } from 'vitest';
import { applyGuardrails, decisionIsSound, withFallback } from './guardrails.js';
import { HpaPolicy } from './hpa/hpa.js';
import { input, observation, pods } from './testing/observations.js';
import type { HorizontalDecision } from '../core/decision.js';
import type { WorkloadObservation } from '../core/workload.js';
import {
  type PolicyDecision,
  type PolicyInput,
  type ScalingPolicy,
  verticalDecision,
} from './types.js';

const MiB = 2 ** 20;

const horizontal = (current: number, desired: number): HorizontalDecision => ({
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
    const o = observation(0, pods(1, { cpu: 100, memory: 50 * MiB }));
    const d = verticalDecision(
      'p',
      o,
      { cpuMillicores: 5000, memoryBytes: 10 * MiB },
      { explanation: { reasoning: '', factors: [] } },
    );
    const g = applyGuardrails(d, input(o, { maxCpuMillicores: 700, minMemoryBytes: 200 * MiB }));
    expect(g.cpuMillicores).toEqual({ current: 500, desired: 700 });
    expect(g.memoryBytes).toEqual({ current: 256 * MiB, desired: 200 * MiB });
    // Limits follow the requests in proportion.
    expect(g.containers).toEqual([
      {
        name: 'app',
        requests: { cpuMillicores: 700, memoryBytes: 200 * MiB },
        limits: { cpuMillicores: 700, memoryBytes: 400 * MiB },
      },
    ]);
    expect(g.guardrails).toEqual(
      expect.arrayContaining([
        'cpu held within [100, 700]',
        `memory held within [${200 * MiB}, ${16384 * MiB}]`,
      ]),
    );
  });
});

describe('the floors of a vertical decision', () => {
  /** A decision from `o`'s pods (500m, 256Mi requests by default) to the given CPU (m) and memory (MiB). */
  const vertical = (o: WorkloadObservation, cpu: number, memoryMiB: number) =>
    verticalDecision(
      'p',
      o,
      { cpuMillicores: cpu, memoryBytes: memoryMiB * MiB },
      { explanation: { reasoning: '', factors: [] } },
    );

  it("never lowers memory below the busiest pod's usage plus 30 %", () => {
    const o = observation(0, [
      { cpu: 100, memory: 100 * MiB },
      { cpu: 100, memory: 150 * MiB },
    ]);
    const g = applyGuardrails(vertical(o, 500, 150), input(o));
    expect(g.memoryBytes.desired).toBe(195 * MiB);
    expect(g.guardrails).toContain("memory kept 30 % above the busiest pod's usage");
  });

  it('raises memory, with room to spare, when a pod uses more than 87 % of it', () => {
    const o = observation(0, pods(2, { cpu: 100, memory: 240 * MiB }));
    const g = applyGuardrails(vertical(o, 500, 256), input(o));
    expect(g.memoryBytes.desired).toBe(312 * MiB);
    expect(g.canScale).toBe(true);
    const calm = observation(0, pods(2, { cpu: 100, memory: 200 * MiB }));
    expect(applyGuardrails(vertical(calm, 500, 256), input(calm)).canScale).toBe(false);
  });

  it('does not make changes under 5 %', () => {
    const o = observation(0, pods(2, { cpu: 100, memory: 100 * MiB }));
    const g = applyGuardrails(vertical(o, 510, 250), input(o));
    expect(g.canScale).toBe(false);
    expect(g.containers[0]!.requests).toEqual({ cpuMillicores: 500, memoryBytes: 256 * MiB });
    expect(g.guardrails).toEqual(
      expect.arrayContaining(['cpu change under 5 % not made', 'memory change under 5 % not made']),
    );
  });

  it('does not lower CPU under a pod that is using nearly all of it', () => {
    const busy = observation(0, pods(2, { cpu: 450 }));
    expect(applyGuardrails(vertical(busy, 300, 256), input(busy)).cpuMillicores.desired).toBe(500);
    const idle = observation(0, pods(2, { cpu: 255 }));
    expect(applyGuardrails(vertical(idle, 100, 256), input(idle)).cpuMillicores.desired).toBe(300);
  });

  it('lowers nothing without usage metrics', () => {
    const blind = observation(0, pods(2, { metrics: false }));
    const g = applyGuardrails(vertical(blind, 250, 128), input(blind));
    expect(g.cpuMillicores.desired).toBe(500);
    expect(g.memoryBytes.desired).toBe(256 * MiB);
    expect(g.canScale).toBe(false);
  });

  it('raises memory after an OOM kill, as the VPA does', () => {
    const o = observation(0, [
      { cpu: 100, memory: 100 * MiB },
      { ready: false, phase: 'CrashLoopBackOff', restarts: 3, lastTerminationReason: 'OOMKilled' },
    ]);
    const g = applyGuardrails(vertical(o, 500, 200), input(o));
    expect(g.memoryBytes.desired).toBe(356 * MiB);
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
      { memoryRequest: 64 * MiB },
    );
    const g = applyGuardrails(vertical(o, 500, 64), input(o));
    expect(g.memoryBytes.desired).toBe(96 * MiB);
    expect(g.cpuMillicores.desired).toBe(500);
  });
});

describe('withFallback', () => {
  const i: PolicyInput = input(observation(0, pods(4, { cpu: 490 })));
  const broken = (decide: () => PolicyDecision): ScalingPolicy => ({
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
    const d = p.decide(i) as HorizontalDecision;
    expect(d.policy).toBe('hpa');
    expect(d.replicas.desired).toBe(6);
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
    expect(p.decideBatch!([i, i]).map((d) => (d as HorizontalDecision).replicas.desired)).toEqual([
      5, 5,
    ]);
  });
});
