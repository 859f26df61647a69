/**
 * The offline optimum (evaluation only): it knows the future load and the startup delay, and
 * keeps the cheapest replica schedule that meets the SLO. With cost linear in pods and a pod
 * useful only once Ready, the dynamic programme over replica counts collapses to a closed
 * form: at each step run max(need(j)) over the steps j a pod started now would serve before it
 * is Ready, where need(j) is the fewest pods that meet the SLO at interval j's busiest tick.
 * (oracle.test.ts checks this against a brute-force search.) It is the floor no online policy
 * can beat; it peeks at the future by construction and is exempt from the no-peeking contract.
 */
import { mm1P95QueueMs } from '../../core/queueing.js';
import { type SloModel, type TickLoad, intervalOutcome } from '../../core/slo.js';
import type { HorizontalDecision } from '../../core/decision.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../guardrails.js';
import { decisionHeader, type PolicyInput, type ScalingPolicy } from '../types.js';

export interface OracleForecast {
  /** The time of decision step 0. */
  startMs: number;
  stepMs: number;
  ticksPerStep: number;
  /** The load (requests/s) of every tick, step after step. */
  loadPerTick: Float64Array;
}

export interface OracleModel extends SloModel {
  podCores: number;
  cpuSecondsPerRequest: number;
  startupDelayMs: number;
}

/** The highest per-pod rate that keeps M/M/1 p95 within the SLO and drops nothing. */
export function maxRpsWithinSlo(
  podCores: number,
  cpuSecondsPerRequest: number,
  baseLatencyMs: number,
  sloLatencyMs: number,
): number {
  const mu = podCores / cpuSecondsPerRequest;
  const headroom = sloLatencyMs - baseLatencyMs;
  if (!(headroom > 0)) return 0;
  return Math.max(0, Math.min(mu * 0.99, mu - (Math.log(20) * 1000) / headroom));
}

/** Whether `pods` pods serve an interval's ticks within the SLO (the evaluation's own test). */
export function intervalMeetsSlo(
  loads: ArrayLike<number>,
  pods: number,
  model: OracleModel,
): boolean {
  const mu = model.podCores / model.cpuSecondsPerRequest;
  const ticks: TickLoad[] = [];
  for (let i = 0; i < loads.length; i++) {
    const offered = loads[i]!;
    const lambda = pods > 0 ? offered / pods : Infinity;
    const served = pods > 0 ? Math.min(lambda, mu) * pods : 0;
    ticks.push({
      offered,
      served,
      p95LatencyMs: served > 0 ? model.baseLatencyMs + mm1P95QueueMs(lambda, mu) : Infinity,
    });
  }
  return !intervalOutcome(ticks, model.baseLatencyMs, model.sloLatencyMs, model.sloMaxDropRatio)
    .violated;
}

/** Per step, the fewest pods that meet the SLO over its interval, within the bounds. */
export function needPerStep(
  forecast: OracleForecast,
  model: OracleModel,
  minReplicas: number,
  maxReplicas: number,
): Int32Array {
  const steps = Math.floor(forecast.loadPerTick.length / forecast.ticksPerStep);
  const need = new Int32Array(steps);
  const mu = model.podCores / model.cpuSecondsPerRequest;
  for (let j = 0; j < steps; j++) {
    const loads = forecast.loadPerTick.subarray(
      j * forecast.ticksPerStep,
      (j + 1) * forecast.ticksPerStep,
    );
    let sum = 0;
    for (const l of loads) sum += l;
    let n = Math.max(minReplicas, Math.ceil(sum / loads.length / mu - 1e-9));
    while (n < maxReplicas && !intervalMeetsSlo(loads, n, model)) n++;
    need[j] = n;
  }
  return need;
}

/**
 * The cheapest schedule whose Ready pods cover every step's need: pods start `lead` steps
 * ahead, and, under rate limits, early enough that the guardrails every policy goes through
 * let the count grow in time (and it shrinks no faster than they allow).
 */
export function oracleSchedule(
  need: Int32Array,
  lead: number,
  limits: RateLimits = DEFAULT_RATE_LIMITS,
): Int32Array {
  const n = need.length;
  const plan = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let m = need[k]!;
    for (let j = k + 1; j <= Math.min(n - 1, k + lead); j++) m = Math.max(m, need[j]!);
    plan[k] = m;
  }
  // From p replicas one step may reach max(p × factor, p + pods): the fewest that reach N.
  for (let k = n - 1; k > 0; k--) {
    const target = plan[k]!;
    const before = Math.max(
      1,
      Math.min(Math.ceil(target / limits.maxScaleUpFactor), target - limits.maxScaleUpPods),
    );
    if (plan[k - 1]! < before) plan[k - 1] = before;
  }
  for (let k = 1; k < n; k++) {
    const floor = Math.floor(plan[k - 1]! * limits.minScaleDownFraction);
    if (plan[k]! < floor) plan[k] = floor;
  }
  return plan;
}

export class OraclePolicy implements ScalingPolicy {
  readonly name = 'oracle';
  readonly kind = 'horizontal' as const;
  private plan: Int32Array | undefined;
  private planBounds = '';

  constructor(
    private readonly forecast: OracleForecast,
    private readonly model: OracleModel,
    /** The guardrails' rate limits, which the evaluation applies to the oracle too. */
    private readonly limits: RateLimits = DEFAULT_RATE_LIMITS,
  ) {}

  decide(input: PolicyInput): HorizontalDecision {
    const o = input.observation;
    const bounds = `${input.bounds.minReplicas}/${input.bounds.maxReplicas}`;
    if (!this.plan || this.planBounds !== bounds) {
      const need = needPerStep(
        this.forecast,
        this.model,
        input.bounds.minReplicas,
        input.bounds.maxReplicas,
      );
      this.plan = oracleSchedule(
        need,
        Math.ceil(this.model.startupDelayMs / this.forecast.stepMs),
        this.limits,
      );
      this.planBounds = bounds;
    }
    const step = Math.round((o.timeMs - this.forecast.startMs) / this.forecast.stepMs);
    const desired = this.plan[Math.min(this.plan.length - 1, Math.max(0, step))] ?? o.specReplicas;
    return {
      ...decisionHeader(this.name, o),
      kind: 'horizontal',
      replicas: { current: o.specReplicas, desired },
      canScale: desired !== o.specReplicas,
      explanation: {
        reasoning: `the fewest pods that meet the SLO over the next ${this.model.startupDelayMs / 1000} s of known load`,
        factors: ['future_load_known'],
      },
    };
  }
}
