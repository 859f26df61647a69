/**
 * The offline optimum (evaluation only): it knows the future load and the startup delay, and
 * keeps the cheapest replica schedule that meets the SLO. With cost linear in pods and a pod
 * useful only once Ready, the dynamic programme over replica counts collapses to a closed
 * form: at each step run max(need(j)) over the steps j a pod started now would serve before it
 * is Ready, where need(j) is the fewest pods that meet the SLO at interval j's busiest tick.
 * (oracle.test.ts checks this against a brute-force search.) It is the floor no online policy
 * can beat; it peeks at the future by construction and is exempt from the no-peeking contract.
 */
import type { Decision, PolicyInput, ScalingPolicy } from '../types.js';

export interface OracleForecast {
  /** The time of decision step 0. */
  startMs: number;
  stepMs: number;
  /** Per decision step: the highest load (requests/s) of any tick in the interval after it. */
  peakRpsPerStep: Float64Array;
}

export interface OracleModel {
  /** Requests per second one pod serves within the SLO. */
  maxRpsPerPod: number;
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

export function oracleSchedule(
  forecast: OracleForecast,
  model: OracleModel,
  minReplicas: number,
  maxReplicas: number,
): Int32Array {
  const n = forecast.peakRpsPerStep.length;
  const need = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const req =
      model.maxRpsPerPod > 0
        ? Math.ceil(forecast.peakRpsPerStep[j]! / model.maxRpsPerPod - 1e-9)
        : maxReplicas;
    need[j] = Math.min(maxReplicas, Math.max(minReplicas, req));
  }
  const lead = Math.ceil(model.startupDelayMs / forecast.stepMs);
  const plan = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let m = need[k]!;
    for (let j = k + 1; j <= Math.min(n - 1, k + lead); j++) m = Math.max(m, need[j]!);
    plan[k] = m;
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
  ) {}

  decide(input: PolicyInput): Decision {
    const o = input.observation;
    const bounds = `${input.bounds.minReplicas}/${input.bounds.maxReplicas}`;
    if (!this.plan || this.planBounds !== bounds) {
      this.plan = oracleSchedule(
        this.forecast,
        this.model,
        input.bounds.minReplicas,
        input.bounds.maxReplicas,
      );
      this.planBounds = bounds;
    }
    const step = Math.round((o.timeMs - this.forecast.startMs) / this.forecast.stepMs);
    const desired = this.plan[Math.min(this.plan.length - 1, Math.max(0, step))] ?? o.specReplicas;
    return {
      policy: this.name,
      kind: 'horizontal',
      namespace: o.namespace,
      name: o.name,
      timeMs: o.timeMs,
      replicas: { current: o.specReplicas, desired },
      canScale: desired !== o.specReplicas,
      explanation: {
        reasoning: `the fewest pods that meet the SLO over the next ${this.model.startupDelayMs / 1000} s of known load`,
        factors: ['future_load_known'],
      },
    };
  }
}
