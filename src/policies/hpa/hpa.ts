/**
 * The Kubernetes HPA v2 algorithm for a CPU utilisation target, as kube-controller-manager
 * 1.35 computes it (pkg/controller/podautoscaler): the replica calculator with its tolerance,
 * missing-metric and unready-pod rules, then the default behaviour — a 300 s scale-down
 * stabilisation window, scale-up by at most max(100 %, 4 pods) and scale-down by at most
 * 100 % per 15 s. Not an imitation: the evaluation compares qpilot with the real thing.
 */
import type { HorizontalDecision } from '../../core/decision.js';
import { type HpaTiming, groupPods, utilizationPercent } from '../../core/utilization.js';
import { type WorkloadObservation, workloadKey } from '../../core/workload.js';
import { decisionHeader, type PolicyInput, type ScalingPolicy } from '../types.js';

export interface ScalingRule {
  type: 'Pods' | 'Percent';
  value: number;
  periodMs: number;
}

export interface ScalingRules {
  stabilizationWindowMs: number;
  select: 'Max' | 'Min' | 'Disabled';
  policies: ScalingRule[];
}

export interface HpaConfig extends HpaTiming {
  /** targetCPUUtilizationPercentage: CPU usage over requests, in percent. */
  targetCpuUtilization: number;
  /** --horizontal-pod-autoscaler-tolerance. */
  tolerance: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

export const DEFAULT_HPA_CONFIG: HpaConfig = {
  targetCpuUtilization: 70,
  tolerance: 0.1,
  cpuInitializationPeriodMs: 300_000,
  initialReadinessDelayMs: 30_000,
  scaleUp: {
    stabilizationWindowMs: 0,
    select: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodMs: 15_000 },
      { type: 'Percent', value: 100, periodMs: 15_000 },
    ],
  },
  scaleDown: {
    stabilizationWindowMs: 300_000,
    select: 'Max',
    policies: [{ type: 'Percent', value: 100, periodMs: 15_000 }],
  },
};

interface Timestamped {
  value: number;
  timeMs: number;
}

interface WorkloadState {
  recommendations: Timestamped[];
  scaleUpEvents: Timestamped[];
  scaleDownEvents: Timestamped[];
}

/** The replica calculator's result for one sync; `undefined` replicas when it cannot compute. */
export interface ReplicaCalculation {
  replicas?: number;
  utilization?: number;
  reason: string;
  factors: string[];
}

/** GetResourceReplicas for CPU utilisation (replica_calculator.go). */
export function calculateReplicas(o: WorkloadObservation, config: HpaConfig): ReplicaCalculation {
  const current = o.specReplicas;
  const g = groupPods(o, 'cpu', config);
  if (o.pods.length === 0) return { reason: 'no pods returned by selector', factors: ['no_pods'] };
  if (g.readyPodCount === 0)
    return {
      reason: 'did not receive metrics for targeted pods (pods might be unready)',
      factors: ['no_metrics'],
    };
  if (g.missingRequest) return { reason: g.missingRequest, factors: ['missing_requests'] };
  const target = config.targetCpuUtilization;
  const within = (r: number) => 1 - config.tolerance <= r && r <= 1 + config.tolerance;
  const utilization = utilizationPercent(g.used, g.requested) ?? 0;
  const usageRatio = utilization / target;
  const scaleUpWithUnready = g.unreadyCount > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && g.missingCount === 0) {
    if (within(usageRatio)) {
      return {
        replicas: current,
        utilization,
        reason: `utilization ${utilization}% is within tolerance of the ${target}% target`,
        factors: ['within_tolerance'],
      };
    }
    return {
      replicas: Math.ceil(usageRatio * g.readyPodCount),
      utilization,
      reason: `utilization ${utilization}% against a ${target}% target over ${g.readyPodCount} ready pods`,
      factors: [usageRatio > 1 ? 'cpu_above_target' : 'cpu_below_target'],
    };
  }
  const factors: string[] = [];
  let used = g.used;
  let requested = g.requested;
  let counted = g.readyPodCount;
  if (g.missingCount > 0) {
    factors.push('missing_metrics');
    // On a scale-down, pods without metrics count as using 100 % (or the target, if higher); on a scale-up, 0 %.
    if (usageRatio !== 1) {
      const fallback = usageRatio < 1 ? Math.max(100, target) / 100 : 0;
      used += g.missingRequested * fallback;
      requested += g.missingRequested;
      counted += g.missingCount;
    }
  }
  if (scaleUpWithUnready) {
    factors.push('unready_pods');
    // Unready pods count as using nothing.
    requested += g.unreadyRequested;
    counted += g.unreadyCount;
  }
  const newRatio = (utilizationPercent(used, requested) ?? 0) / target;
  if (within(newRatio) || (usageRatio < 1 && newRatio > 1) || (usageRatio > 1 && newRatio < 1)) {
    return {
      replicas: current,
      utilization,
      reason:
        'counting pods without metrics or not ready, the change would be too small or reverse',
      factors: [...factors, 'within_tolerance'],
    };
  }
  const newReplicas = Math.ceil(newRatio * counted);
  if ((newRatio < 1 && newReplicas > current) || (newRatio > 1 && newReplicas < current)) {
    return {
      replicas: current,
      utilization,
      reason: 'counting pods without metrics would reverse the scaling direction',
      factors,
    };
  }
  return {
    replicas: newReplicas,
    utilization,
    reason: `utilization ${utilization}% against a ${target}% target, counting ${g.missingCount} pods without metrics and ${g.unreadyCount} not ready`,
    factors: [...factors, newRatio > 1 ? 'cpu_above_target' : 'cpu_below_target'],
  };
}

function changeInPeriod(events: Timestamped[], periodMs: number, now: number): number {
  let sum = 0;
  for (const e of events) if (e.timeMs > now - periodMs) sum += e.value;
  return sum;
}

function scaleUpLimit(current: number, s: WorkloadState, rules: ScalingRules, now: number): number {
  if (rules.select === 'Disabled') return current;
  let result = rules.select === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start =
      current -
      changeInPeriod(s.scaleUpEvents, p.periodMs, now) +
      changeInPeriod(s.scaleDownEvents, p.periodMs, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = rules.select === 'Min' ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

function scaleDownLimit(
  current: number,
  s: WorkloadState,
  rules: ScalingRules,
  now: number,
): number {
  if (rules.select === 'Disabled') return current;
  let result = rules.select === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies) {
    const start =
      current -
      changeInPeriod(s.scaleUpEvents, p.periodMs, now) +
      changeInPeriod(s.scaleDownEvents, p.periodMs, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = rules.select === 'Min' ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export class HpaPolicy implements ScalingPolicy {
  readonly name: string;
  readonly kind = 'horizontal' as const;
  readonly config: HpaConfig;
  private readonly state = new Map<string, WorkloadState>();

  constructor(config: Partial<HpaConfig> = {}, name = 'hpa') {
    this.config = { ...DEFAULT_HPA_CONFIG, ...config };
    if (!(this.config.targetCpuUtilization > 0))
      throw new RangeError('targetCpuUtilization must be above 0');
    this.name = name;
  }

  decide(input: PolicyInput): HorizontalDecision {
    const o = input.observation;
    const { minReplicas, maxReplicas } = input.bounds;
    const now = o.timeMs;
    const current = o.specReplicas;
    const base = { ...decisionHeader(this.name, o), kind: 'horizontal' as const };
    const hold = (reasoning: string, factors: string[]): HorizontalDecision => ({
      ...base,
      replicas: { current, desired: current },
      canScale: false,
      explanation: { reasoning, factors },
    });
    if (current === 0 && minReplicas !== 0)
      return hold('scaling is disabled while the workload has 0 replicas', ['scaled_to_zero']);

    let desired: number;
    let calc: ReplicaCalculation | undefined;
    if (current > maxReplicas) desired = maxReplicas;
    else if (current < minReplicas) desired = minReplicas;
    else {
      calc = calculateReplicas(o, this.config);
      if (calc.replicas === undefined)
        return hold(`the HPA cannot compute a replica count: ${calc.reason}`, calc.factors);
      desired = this.normalize(
        workloadKey(o),
        current,
        calc.replicas,
        minReplicas,
        maxReplicas,
        now,
        calc.factors,
      );
    }
    if (desired !== current) this.recordScale(workloadKey(o), desired - current, now);
    const factors = calc?.factors ?? ['outside_bounds'];
    return {
      ...base,
      replicas: { current, desired },
      canScale: desired !== current,
      explanation: {
        reasoning: calc
          ? `${calc.reason}: ${desired === current ? 'keep' : 'scale to'} ${desired} replicas`
          : `replicas outside [${minReplicas}, ${maxReplicas}]`,
        factors,
      },
    };
  }

  private stateOf(key: string): WorkloadState {
    let s = this.state.get(key);
    if (!s) {
      s = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
      this.state.set(key, s);
    }
    return s;
  }

  /** normalizeDesiredReplicasWithBehaviors: stabilise, then limit the rate. */
  private normalize(
    key: string,
    current: number,
    desired: number,
    min: number,
    max: number,
    now: number,
    factors: string[],
  ): number {
    const s = this.stateOf(key);
    const upCutoff = now - this.config.scaleUp.stabilizationWindowMs;
    const downCutoff = now - this.config.scaleDown.stabilizationWindowMs;
    let up = desired;
    let down = desired;
    for (const r of s.recommendations) {
      if (r.timeMs > upCutoff) up = Math.min(up, r.value);
      if (r.timeMs > downCutoff) down = Math.max(down, r.value);
    }
    let stabilized = current;
    if (stabilized < up) stabilized = up;
    if (stabilized > down) stabilized = down;
    if (stabilized !== desired)
      factors.push(stabilized > desired ? 'scale_down_stabilized' : 'scale_up_stabilized');
    // Keep what the longest window still needs (in place: this runs for every workload, every sync).
    const keepAfter = Math.min(upCutoff, downCutoff);
    let kept = 0;
    for (const r of s.recommendations) if (r.timeMs > keepAfter) s.recommendations[kept++] = r;
    s.recommendations.length = kept;
    s.recommendations.push({ value: desired, timeMs: now });

    if (stabilized > current) {
      const limit = Math.max(current, scaleUpLimit(current, s, this.config.scaleUp, now));
      const allowed = Math.min(max, limit);
      if (stabilized > allowed) {
        factors.push(allowed === limit ? 'scale_up_rate_limited' : 'max_replicas');
        return allowed;
      }
    } else if (stabilized < current) {
      const limit = Math.min(current, scaleDownLimit(current, s, this.config.scaleDown, now));
      const allowed = Math.max(min, limit);
      if (stabilized < allowed) {
        factors.push(allowed === limit ? 'scale_down_rate_limited' : 'min_replicas');
        return allowed;
      }
    }
    return stabilized;
  }

  private recordScale(key: string, change: number, now: number): void {
    const s = this.stateOf(key);
    const longest = Math.max(
      ...this.config.scaleUp.policies.map((p) => p.periodMs),
      ...this.config.scaleDown.policies.map((p) => p.periodMs),
    );
    const fresh = (e: Timestamped) => e.timeMs > now - longest;
    s.scaleUpEvents = s.scaleUpEvents.filter(fresh);
    s.scaleDownEvents = s.scaleDownEvents.filter(fresh);
    if (change > 0) s.scaleUpEvents.push({ value: change, timeMs: now });
    else s.scaleDownEvents.push({ value: -change, timeMs: now });
  }

  forget(namespace: string, name: string): void {
    this.state.delete(workloadKey({ namespace, name }));
  }

  /** The stabilisation window's recommendations and the recent scale events. */
  exportState(namespace: string, name: string): unknown {
    const s = this.state.get(workloadKey({ namespace, name }));
    return s && structuredClone(s);
  }

  importState(namespace: string, name: string, state: unknown): void {
    const s = state as Partial<WorkloadState> | null;
    const valid = (list: unknown): list is Timestamped[] =>
      Array.isArray(list) &&
      list.every(
        (e: Partial<Timestamped>) => typeof e?.value === 'number' && typeof e.timeMs === 'number',
      );
    if (!s || !valid(s.recommendations) || !valid(s.scaleUpEvents) || !valid(s.scaleDownEvents))
      return;
    this.state.set(workloadKey({ namespace, name }), {
      recommendations: s.recommendations.map((e) => ({ ...e })),
      scaleUpEvents: s.scaleUpEvents.map((e) => ({ ...e })),
      scaleDownEvents: s.scaleDownEvents.map((e) => ({ ...e })),
    });
  }
}
