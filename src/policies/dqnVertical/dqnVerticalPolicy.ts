/**
 * `dqn-vertical`: seed 002's multi-head Deep Q-Network. A CPU head and a memory head each
 * choose DECREASE, MAINTAIN or INCREASE of the pods' requests (and limits, in proportion) by
 * the scale factor; the guardrails keep the result within min/max CPU and memory. Each
 * decision carries both heads' Q-values and confidence, the usage expected next, the resource
 * changes in seed 002's shape, and the reasoning.
 */
import { argmax, softmaxAt } from '../../rl/mlp.js';
import { type LoadedModel, loadModel } from '../../rl/modelFiles.js';
import type { VerticalDecision } from '../../core/decision.js';
import { workloadKey } from '../../core/workload.js';
import {
  HEAD_ACTIONS,
  type HeadAction,
  type PolicyInput,
  type ScalingPolicy,
  verticalDecision,
} from '../types.js';
import { extrapolate, podSize } from '../usage.js';
import {
  type UsageHistory,
  VERTICAL_FEATURES,
  VERTICAL_HISTORY,
  VERTICAL_HEADS,
  type VerticalState,
  memoryFloorBytes,
  PEAK_HOURS,
  scaled,
  verticalState,
} from './vertical.js';

export const DQN_VERTICAL_EXPECTATION = {
  policy: 'dqn-vertical',
  stateFeatures: VERTICAL_FEATURES,
  heads: VERTICAL_HEADS,
} as const;

export function loadDqnVerticalModel(dir: string): Promise<LoadedModel> {
  return loadModel(dir, DQN_VERTICAL_EXPECTATION);
}

function explain(
  s: VerticalState,
  cpu: HeadAction,
  memory: HeadAction,
  /** The day's peak memory (with margin) when it, not the memory head, set the request. */
  floorBytes?: number,
): { reasoning: string; factors: string[] } {
  const trend = (t: number, level: number) =>
    t > 0.02 * level ? 'increasing' : t < -0.02 * level ? 'decreasing' : 'stable';
  const cpuTrend = trend(s.cpuTrend, s.cpuCores);
  const memTrend = trend(s.memoryTrend, s.memoryBytes);
  const factors = [
    `cpu_trend_${cpuTrend}`,
    memTrend === 'stable' ? 'memory_stable' : `memory_trend_${memTrend}`,
  ];
  const cpuUse = s.features[0]!;
  if (cpuUse > 0.85) factors.push('cpu_utilization_high');
  else if (cpuUse < 0.4) factors.push('cpu_utilization_low');
  if (s.features[3]! > 0.85) factors.push('memory_near_limit');
  if (s.features[8]! > 0) factors.push('pods_restarted');
  if (floorBytes !== undefined) factors.push('memory_day_peak');
  const say = (what: string, a: HeadAction) =>
    a === 'MAINTAIN' ? `keep ${what}` : `${a === 'INCREASE' ? 'increase' : 'decrease'} ${what}`;
  const memorySaid =
    floorBytes === undefined
      ? say('memory', memory)
      : `memory at ${Math.round(floorBytes / 2 ** 20)} MiB, 15 % over the busiest pod's peak of the last day (the memory head chose to ${say('memory', memory)})`;
  return {
    reasoning: `CPU at ${Math.round(cpuUse * 100)} % of its request (${cpuTrend}), memory at ${Math.round(s.features[1]! * 100)} % (${memTrend}): ${say('CPU', cpu)}, ${memorySaid}.`,
    factors,
  };
}

export class DqnVerticalPolicy implements ScalingPolicy {
  readonly name = 'dqn-vertical';
  readonly kind = 'vertical' as const;
  private readonly histories = new Map<string, UsageHistory>();

  constructor(readonly model: LoadedModel) {}

  private history(key: string): UsageHistory {
    let h = this.histories.get(key);
    if (!h) {
      h = { cpu: [], memory: [], restarts: 0 };
      this.histories.set(key, h);
    }
    return h;
  }

  decide(input: PolicyInput): VerticalDecision {
    return this.decideBatch([input])[0]!;
  }

  decideBatch(inputs: readonly PolicyInput[]): VerticalDecision[] {
    const dim = VERTICAL_FEATURES.length;
    const states = inputs.map((i) => verticalState(i, this.history(workloadKey(i.observation))));
    const x = new Float32Array(inputs.length * dim);
    states.forEach((s, r) => x.set(s.features, r * dim));
    const [qCpu, qMem] = this.model.mlp.forwardBatch(x, inputs.length);
    return inputs.map((input, r) => {
      const o = input.observation;
      const s = states[r]!;
      const ac = argmax(qCpu!, r * 3, 3);
      const am = argmax(qMem!, r * 3, 3);
      const size = podSize(o);
      const cpuAction = HEAD_ACTIONS[ac]!;
      const memoryAction = HEAD_ACTIONS[am]!;
      const h = this.history(workloadKey(o));
      const chosenMemory = scaled(size.memoryRequestBytes, am, input.scaleFactor);
      const floor = memoryFloorBytes(h);
      const q = (t: Float32Array) =>
        Array.from(t.subarray(r * 3, r * 3 + 3), (v) => Math.round(v * 1e4) / 1e4);
      return verticalDecision(
        this.name,
        o,
        {
          cpuMillicores: scaled(size.cpuRequestMillicores, ac, input.scaleFactor),
          memoryBytes: Math.max(chosenMemory, floor),
        },
        {
          qValues: { cpu: q(qCpu!), memory: q(qMem!) },
          actions: { cpu: cpuAction, memory: memoryAction },
          confidence: {
            cpu: Math.round(softmaxAt(qCpu!, ac, r * 3, 3) * 1e4) / 1e4,
            memory: Math.round(softmaxAt(qMem!, am, r * 3, 3) * 1e4) / 1e4,
          },
          predictions: {
            // The history is in cores and bytes per pod.
            nextStepCpuMillicores: extrapolate(h.cpu) * 1000,
            nextStepMemoryBytes: extrapolate(h.memory),
          },
          explanation: explain(
            s,
            cpuAction,
            memoryAction,
            floor > chosenMemory ? floor : undefined,
          ),
        },
      );
    });
  }

  forget(namespace: string, name: string): void {
    this.histories.delete(workloadKey({ namespace, name }));
  }

  /** Usage of the last decisions (the trend features) and the restarts already seen. */
  exportState(namespace: string, name: string): unknown {
    const h = this.histories.get(workloadKey({ namespace, name }));
    return (
      h && {
        cpu: [...h.cpu],
        memory: [...h.memory],
        restarts: h.restarts,
        ...(h.memoryPeaks ? { memoryPeaks: [...h.memoryPeaks] } : {}),
        ...(h.peakHourMs !== undefined ? { peakHourMs: h.peakHourMs } : {}),
      }
    );
  }

  importState(namespace: string, name: string, state: unknown): void {
    const s = state as Partial<UsageHistory> | null;
    const numbers = (v: unknown): v is number[] =>
      Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!s || !numbers(s.cpu) || !numbers(s.memory) || typeof s.restarts !== 'number') return;
    this.histories.set(workloadKey({ namespace, name }), {
      cpu: s.cpu.slice(-VERTICAL_HISTORY),
      memory: s.memory.slice(-VERTICAL_HISTORY),
      restarts: s.restarts,
      // Older exports have no peaks: the floor then starts from what is seen next.
      ...(numbers(s.memoryPeaks) ? { memoryPeaks: s.memoryPeaks.slice(-PEAK_HOURS) } : {}),
      ...(typeof s.peakHourMs === 'number' && Number.isFinite(s.peakHourMs)
        ? { peakHourMs: s.peakHourMs }
        : {}),
    });
  }
}
