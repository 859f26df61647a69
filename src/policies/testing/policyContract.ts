/**
 * The ScalingPolicy contract (ARCHITECTURE.md rule 6): every policy, behind the guardrails,
 * keeps its decisions within the bounds, decides the same for the same history, never depends
 * on what comes later, and explains itself with finite numbers. The oracle, which knows the
 * future by design, is exempt from the last part and tested on its own.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { applyGuardrails, decisionIsSound } from '../guardrails.js';
import type { PodSpec } from './observations.js';
import { input, observation } from './observations.js';
import type { PolicyInput, ScalingBounds, ScalingPolicy } from '../types.js';

/** A run of observations of one workload: load that drifts, jumps, loses metrics, restarts pods. */
export function observationSequence(
  seed: number,
  length: number,
  bounds: Partial<ScalingBounds> = {},
): PolicyInput[] {
  const rng = new Rng(seed);
  const out: PolicyInput[] = [];
  let replicas = rng.int(1, 8);
  let load = 200 + rng.next() * 2000;
  for (let i = 0; i < length; i++) {
    load = Math.max(
      0,
      load * (1 + rng.normal(0, 0.1)) + (rng.next() < 0.05 ? rng.next() * 3000 : 0),
    );
    const perPod = load / replicas;
    const specs: PodSpec[] = Array.from({ length: replicas }, (_, k) => ({
      cpu: rng.next() < 0.05 ? undefined : Math.min(500, perPod * 5 * (0.9 + 0.2 * rng.next())),
      memory: (64 + rng.next() * 150) * 2 ** 20,
      ready: !(k === replicas - 1 && rng.next() < 0.1),
      metrics: rng.next() > 0.05,
      startedMsAgo: rng.int(10_000, 3_600_000),
    }));
    out.push(
      input(observation(1_000_000 + i * 15_000, specs, { cpuRequest: 500, cpuLimit: 500 }), {
        minReplicas: 1,
        maxReplicas: 20,
        ...bounds,
      }),
    );
    // The workload follows what a policy might have decided, so the sequence stays plausible.
    replicas = Math.max(1, Math.min(20, replicas + rng.int(-1, 2)));
  }
  return out;
}

export function runPolicyContract(
  name: string,
  make: () => ScalingPolicy,
  options: { futureBlind?: boolean } = {},
): void {
  describe(`ScalingPolicy contract: ${name}`, () => {
    it('decides within the bounds, with finite numbers and an explanation', () => {
      const policy = make();
      for (const i of observationSequence(1, 120, { minReplicas: 2, maxReplicas: 12 })) {
        const d = applyGuardrails(policy.decide(i), i);
        expect(decisionIsSound(d), JSON.stringify(d)).toBe(true);
        expect(d.kind).toBe(policy.kind);
        expect([d.namespace, d.name]).toEqual([i.observation.namespace, i.observation.name]);
        expect(typeof d.explanation.reasoning).toBe('string');
        expect(Array.isArray(d.explanation.factors)).toBe(true);
        if (d.kind === 'horizontal') {
          expect(d.replicas.desired).toBeGreaterThanOrEqual(2);
          expect(d.replicas.desired).toBeLessThanOrEqual(12);
          expect(d.canScale).toBe(d.replicas.desired !== d.replicas.current);
        } else {
          const { cpuMillicores: cpu, memoryBytes: memory } = d;
          // Whole millicores and MiB: the bounds hold up to that rounding.
          expect(cpu.desired).toBeGreaterThanOrEqual(i.bounds.minCpuMillicores - 1);
          expect(cpu.desired).toBeLessThanOrEqual(i.bounds.maxCpuMillicores + 1);
          expect(memory.desired).toBeGreaterThanOrEqual(i.bounds.minMemoryBytes - 2 ** 20);
          expect(memory.desired).toBeLessThanOrEqual(i.bounds.maxMemoryBytes + 2 ** 20);
          expect(d.canScale).toBe(cpu.desired !== cpu.current || memory.desired !== memory.current);
          // The containers say what the pod total says.
          const sum = d.containers.reduce(
            (a, c) => ({
              cpu: a.cpu + (c.requests.cpuMillicores ?? 0),
              memory: a.memory + (c.requests.memoryBytes ?? 0),
            }),
            { cpu: 0, memory: 0 },
          );
          expect(sum).toEqual({ cpu: cpu.desired, memory: memory.desired });
        }
      }
    });

    it('decides the same for the same history (determinism)', () => {
      const a = make();
      const b = make();
      for (const i of observationSequence(2, 80)) expect(a.decide(i)).toEqual(b.decide(i));
    });

    if (options.futureBlind !== false) {
      it('does not depend on what comes later (no peeking at the future)', () => {
        const past = observationSequence(3, 40);
        const futureA = observationSequence(4, 40).map((i, k) => ({
          ...i,
          observation: {
            ...i.observation,
            timeMs: past[39]!.observation.timeMs + (k + 1) * 15_000,
          },
        }));
        const a = make();
        const b = make();
        const seenA = [...past, ...futureA].map((i) => a.decide(i));
        const seenB = past.map((i) => b.decide(i));
        expect(seenA.slice(0, 40)).toEqual(seenB);
      });
    }

    it('carries on from its exported state, as a restarted instance or a new leader does', () => {
      const inputs = observationSequence(6, 60);
      const original = make();
      for (const i of inputs.slice(0, 30)) original.decide(i);
      const { namespace, name } = inputs[0]!.observation;
      // Through JSON, as the store keeps it.
      const saved: unknown = JSON.parse(
        JSON.stringify(original.exportState?.(namespace, name) ?? null),
      );
      const restored = make();
      if (saved !== null) restored.importState?.(namespace, name, saved);
      const rest = inputs.slice(30);
      expect(rest.map((i) => restored.decide(i))).toEqual(rest.map((i) => original.decide(i)));
    });

    it('batches to the same decisions it makes one by one', () => {
      const one = make();
      const batch = make();
      const inputs = observationSequence(5, 10).map((i, k) => ({
        ...i,
        observation: { ...i.observation, name: `w${k}` },
      }));
      const single = inputs.map((i) => one.decide(i));
      const batched = batch.decideBatch
        ? batch.decideBatch(inputs)
        : inputs.map((i) => batch.decide(i));
      expect(batched).toEqual(single);
    });
  });
}
