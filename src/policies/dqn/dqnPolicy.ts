/**
 * `dqn`: horizontal scaling by a Deep Q-Network. It sees only observations (usage with
 * metrics-server's lag, replicas, readiness; a window of the last five decisions) and picks a
 * utilisation target whose replica count follows with hysteresis (horizontal.ts). Each
 * decision carries its Q-values, its confidence, the usage it expects next, and why.
 */
import { argmax, softmaxAt } from '../../rl/mlp.js';
import { type LoadedModel, loadModel } from '../../rl/modelFiles.js';
import type { HorizontalDecision } from '../../core/decision.js';
import { workloadKey } from '../../core/workload.js';
import type { PolicyInput, ScalingPolicy } from '../types.js';
import { extrapolate } from '../usage.js';
import {
  type DemandHistory,
  HORIZONTAL_ACTIONS,
  HORIZONTAL_FEATURES,
  type HorizontalState,
  horizontalState,
  PEAK_WINDOW,
  replicasForAction,
} from './horizontal.js';

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
  const perReplica = state.demand / Math.max(1, current);
  factors.push(
    perReplica > 0.8
      ? 'utilization_high'
      : perReplica < 0.55
        ? 'utilization_low'
        : 'utilization_moderate',
  );
  if (state.features[8]! > 0) factors.push('pods_starting');
  const verb =
    desired > current
      ? `scale up to ${desired}`
      : desired < current
        ? `scale down to ${desired}`
        : `keep ${current}`;
  const reasoning =
    action === 'HOLD'
      ? `CPU demand is ${state.demand.toFixed(2)} pods of request on ${current} replicas; holding is worth most`
      : `CPU demand is ${state.demand.toFixed(2)} pods of request on ${current} replicas (trend ${state.trend >= 0 ? '+' : ''}${state.trend.toFixed(2)}/step); aiming at ${action.slice(7)} % utilisation: ${verb}`;
  return { reasoning, factors };
}

export class DqnPolicy implements ScalingPolicy {
  readonly name = 'dqn';
  readonly kind = 'horizontal' as const;
  private readonly histories = new Map<string, DemandHistory>();

  constructor(readonly model: LoadedModel) {}

  private history(key: string): DemandHistory {
    let h = this.histories.get(key);
    if (!h) {
      h = { demand: [] };
      this.histories.set(key, h);
    }
    return h;
  }

  decide(input: PolicyInput): HorizontalDecision {
    return this.decideBatch([input])[0]!;
  }

  decideBatch(inputs: readonly PolicyInput[]): HorizontalDecision[] {
    const dim = HORIZONTAL_FEATURES.length;
    const n = HORIZONTAL_ACTIONS.length;
    const histories = inputs.map((i) => this.history(workloadKey(i.observation)));
    const states = inputs.map((i, r) =>
      horizontalState(i.observation, histories[r]!, i.bounds.maxReplicas),
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
      const desired = replicasForAction(a, o.specReplicas, state);
      const usage = state.usage;
      const request = usage.measuredPods > 0 ? usage.cpuRequestMillicores / usage.measuredPods : 0;
      const qValues = new Array<number>(n);
      for (let k = 0; k < n; k++) qValues[k] = Math.round(q![r * n + k]! * 1e4) / 1e4;
      const demand = histories[r]!.demand;
      out[r] = {
        policy: this.name,
        namespace: o.namespace,
        name: o.name,
        timeMs: o.timeMs,
        kind: 'horizontal',
        replicas: { current: o.specReplicas, desired },
        qValues: { replicas: qValues },
        actions: { replicas: HORIZONTAL_ACTIONS[a]! },
        confidence: { replicas: Math.round(softmaxAt(q!, a, r * n, n) * 1e4) / 1e4 },
        predictions: {
          nextStepCpuMillicores:
            extrapolate(demand.length > 5 ? demand.slice(-5) : demand) * request,
          nextStepMemoryBytes: usage.memoryUsageBytes / Math.max(1, usage.measuredPods),
        },
        canScale: desired !== o.specReplicas,
        explanation: explain(state, HORIZONTAL_ACTIONS[a]!, o.specReplicas, desired),
      };
    }
    return out;
  }

  forget(namespace: string, name: string): void {
    this.histories.delete(workloadKey({ namespace, name }));
  }

  /** The demand of the last decisions, which the trend and peak features read. */
  exportState(namespace: string, name: string): unknown {
    const h = this.histories.get(workloadKey({ namespace, name }));
    return h && { demand: [...h.demand] };
  }

  importState(namespace: string, name: string, state: unknown): void {
    const demand = (state as Partial<DemandHistory> | null)?.demand;
    if (!Array.isArray(demand) || !demand.every((d) => typeof d === 'number' && Number.isFinite(d)))
      return;
    this.histories.set(workloadKey({ namespace, name }), { demand: demand.slice(-PEAK_WINDOW) });
  }
}
