/**
 * `dqn`: horizontal scaling by a Deep Q-Network. It sees only observations (usage with
 * metrics-server's lag, replicas, readiness, the workload's latency where it is measured; a
 * window of the last five decisions) and picks a target as a fraction of the workload's
 * learned knee, whose replica count follows with hysteresis (horizontal.ts). Until the knee is
 * trusted, and after a sustained breach of the SLO, a conservative baseline decides instead
 * (serviceModel.ts). Each decision carries its Q-values, its confidence, the usage it expects
 * next, and why.
 */
import { argmax, softmaxAt } from '../../rl/mlp.js';
import { type LoadedModel, loadModel } from '../../rl/modelFiles.js';
import type { HorizontalDecision } from '../../core/decision.js';
import { workloadKey } from '../../core/workload.js';
import type { PolicyInput, ScalingPolicy } from '../types.js';
import { extrapolate } from '../usage.js';
import {
  baselineReplicas,
  baselineTarget,
  emptyMemory,
  HORIZONTAL_ACTIONS,
  HORIZONTAL_FEATURES,
  type HorizontalState,
  horizontalState,
  PEAK_WINDOW,
  replicasForAction,
  type WorkloadMemory,
} from './horizontal.js';
import { emptyServiceModel, parseServiceModel } from './serviceModel.js';

export const DQN_EXPECTATION = {
  policy: 'dqn',
  stateFeatures: HORIZONTAL_FEATURES,
  heads: [{ name: 'replicas', actions: HORIZONTAL_ACTIONS }],
} as const;

export function loadDqnModel(dir: string): Promise<LoadedModel> {
  return loadModel(dir, DQN_EXPECTATION);
}

function explain(
  state: HorizontalState,
  action: string,
  current: number,
  desired: number,
): { reasoning: string; factors: string[] } {
  const factors: string[] = [];
  if (state.unmeasurable)
    return {
      reasoning: `CPU utilisation cannot be computed (${state.unmeasurable}): keeping the replicas`,
      factors: ['missing_requests'],
    };
  if (state.demand === undefined)
    return { reasoning: 'no pod has metrics yet: keeping the replicas', factors: ['no_metrics'] };
  const relTrend = state.trend / Math.max(state.demand, 0.5);
  factors.push(
    relTrend > 0.02 ? 'demand_rising' : relTrend < -0.02 ? 'demand_falling' : 'demand_steady',
  );
  const ofKnee = state.demand / Math.max(1, current) / state.knee;
  factors.push(
    ofKnee > 0.9 ? 'utilization_high' : ofKnee < 0.6 ? 'utilization_low' : 'utilization_moderate',
  );
  if (state.features[8]! > 0) factors.push('pods_starting');
  factors.push(
    state.control === 'learned'
      ? 'knee_learned'
      : state.control === 'baseline'
        ? 'baseline_decides'
        : 'knee_assumed',
  );
  if (state.latencyRatio !== undefined && state.latencyRatio > 1) factors.push('slo_breached');
  const verb =
    desired > current
      ? `scale up to ${desired}`
      : desired < current
        ? `scale down to ${desired}`
        : `keep ${current}`;
  const pct = (x: number) => `${Math.round(x * 100)} %`;
  const latency =
    state.latencyRatio !== undefined
      ? `, p95 latency at ${pct(state.latencyRatio)} of the SLO`
      : '';
  const demand = `CPU demand is ${state.demand.toFixed(2)} pods of request on ${current} replicas (trend ${state.trend >= 0 ? '+' : ''}${state.trend.toFixed(2)}/step${latency})`;
  const knee = `latency ${state.control === 'assumed' ? 'is assumed to hold' : 'holds'} to ${pct(state.knee)} of the CPU request`;
  const why =
    action === 'BASELINE'
      ? `${state.controlReason ?? 'the baseline decides'}; aiming at ${pct(baselineTarget(state.knee))} utilisation: ${verb}`
      : action === 'HOLD'
        ? `holding is worth most: ${verb}`
        : `aiming at ${action.slice(5)} % of the knee (${pct((Number(action.slice(5)) / 100) * state.knee)} utilisation): ${verb}`;
  const assumed = state.control === 'assumed' ? ` (${state.controlReason})` : '';
  return { reasoning: `${demand}; ${knee}${assumed}; ${why}`, factors };
}

export class DqnPolicy implements ScalingPolicy {
  readonly name = 'dqn';
  readonly kind = 'horizontal' as const;
  private readonly memories = new Map<string, WorkloadMemory>();

  constructor(readonly model: LoadedModel) {}

  private memory(key: string): WorkloadMemory {
    let m = this.memories.get(key);
    if (!m) {
      m = emptyMemory();
      this.memories.set(key, m);
    }
    return m;
  }

  decide(input: PolicyInput): HorizontalDecision {
    return this.decideBatch([input])[0]!;
  }

  decideBatch(inputs: readonly PolicyInput[]): HorizontalDecision[] {
    const dim = HORIZONTAL_FEATURES.length;
    const n = HORIZONTAL_ACTIONS.length;
    const memories = inputs.map((i) => this.memory(workloadKey(i.observation)));
    const states = inputs.map((i, r) =>
      horizontalState(i.observation, memories[r]!, {
        maxReplicas: i.bounds.maxReplicas,
        ...(i.slo ? { slo: i.slo } : {}),
      }),
    );
    const x = new Float32Array(inputs.length * dim);
    states.forEach((s, r) => x.set(s.features, r * dim));
    const [q] = this.model.mlp.forwardBatch(x, inputs.length);
    const out: HorizontalDecision[] = new Array<HorizontalDecision>(inputs.length);
    // Plain loops: a thousand decisions a cycle, where Array.from and spreads cost more than the network.
    for (let r = 0; r < inputs.length; r++) {
      const o = inputs[r]!.observation;
      const state = states[r]!;
      const a = argmax(q!, r * n, n);
      const baseline = state.control === 'baseline';
      const desired = baseline
        ? baselineReplicas(o.specReplicas, state)
        : replicasForAction(a, o.specReplicas, state);
      const action = baseline ? 'BASELINE' : HORIZONTAL_ACTIONS[a]!;
      const usage = state.usage;
      const request = usage.measuredPods > 0 ? usage.cpuRequestMillicores / usage.measuredPods : 0;
      const qValues = new Array<number>(n);
      for (let k = 0; k < n; k++) qValues[k] = Math.round(q![r * n + k]! * 1e4) / 1e4;
      const demand = memories[r]!.demand;
      out[r] = {
        policy: this.name,
        namespace: o.namespace,
        name: o.name,
        timeMs: o.timeMs,
        kind: 'horizontal',
        replicas: { current: o.specReplicas, desired },
        qValues: { replicas: qValues },
        actions: { replicas: action },
        confidence: { replicas: Math.round(softmaxAt(q!, a, r * n, n) * 1e4) / 1e4 },
        predictions: {
          nextStepCpuMillicores:
            extrapolate(demand.length > 5 ? demand.slice(-5) : demand) * request,
          nextStepMemoryBytes: usage.memoryUsageBytes / Math.max(1, usage.measuredPods),
        },
        canScale: desired !== o.specReplicas,
        explanation: explain(state, action, o.specReplicas, desired),
      };
    }
    return out;
  }

  forget(namespace: string, name: string): void {
    this.memories.delete(workloadKey({ namespace, name }));
  }

  /** Recent demand (trend and peak features) and what was learned of the workload's latency. */
  exportState(namespace: string, name: string): unknown {
    const m = this.memories.get(workloadKey({ namespace, name }));
    return m && { demand: [...m.demand], service: structuredClone(m.service) };
  }

  importState(namespace: string, name: string, state: unknown): void {
    const s = state as { demand?: unknown; service?: unknown } | null;
    const demand = s?.demand;
    if (!Array.isArray(demand) || !demand.every((d) => typeof d === 'number' && Number.isFinite(d)))
      return;
    this.memories.set(workloadKey({ namespace, name }), {
      demand: demand.slice(-PEAK_WINDOW) as number[],
      // A state saved before qpilot learned latency starts learning afresh.
      service: parseServiceModel(s?.service) ?? emptyServiceModel(),
    });
  }
}
