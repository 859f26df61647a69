/**
 * Runs a policy against a trace in the simulator, the same way for every policy, and measures
 * what EVALUATION.md defines: cost in core-hours, SLO violations, p95 latency, drops and the
 * changes applied. The policy sees only observations (usage with metrics-server's lag) through
 * the ClusterClient; the guardrails apply as they do in the controller. The service level is
 * judged per interval between decisions (15 s): the p95 of all the interval's requests, and
 * its drop ratio (core/slo.ts).
 */
import { applyGuardrails, type RateLimits } from '../policies/guardrails.js';
import type { OracleForecast, OracleModel } from '../policies/oracle/oracle.js';
import type { ScalingBounds, ScalingPolicy } from '../policies/types.js';
import { DEFAULT_BOUNDS } from '../policies/types.js';
import type { Trace } from '../traces/trace.js';
import { quantile } from './percentile.js';
import { DEFAULT_EVAL_WORKLOAD, type EvalWorkload, NAME, NAMESPACE, SimRun } from './simRun.js';

export { DEFAULT_EVAL_WORKLOAD, type EvalWorkload } from './simRun.js';

export interface EvalOptions {
  trace: Trace;
  /** The trace is rescaled so that its highest rate is this. */
  peakRps: number;
  seed?: number | string;
  stepMs?: number;
  /** Evaluate only this much of the trace (the whole trace by default). */
  durationSec?: number;
  workload?: EvalWorkload;
  bounds?: Partial<ScalingBounds>;
  rateLimits?: RateLimits;
  /** Keep a series of about this many points for plots (0: none). */
  seriesPoints?: number;
}

export interface EvalFigures {
  costCoreHours: number;
  sloViolationPct: number;
  p95LatencyMs: number;
  droppedPct: number;
  scalingActions: number;
}

export interface EvalSeries {
  tSec: Float64Array;
  rps: Float64Array;
  replicas: Float64Array;
  p95LatencyMs: Float64Array;
}

export interface EvalRun extends EvalFigures {
  policy: string;
  simulatedSeconds: number;
  meanReplicas: number;
  fallbacks: number;
  series?: EvalSeries;
}

/** What a policy factory may use: the oracle needs the future, nobody else gets it. */
export interface EvalContext {
  oracleForecast(): OracleForecast;
  oracleModel: OracleModel;
  stepMs: number;
  kind: 'horizontal' | 'vertical';
}

/** Latency of an interval whose requests all failed: a request timeout. */
const TIMEOUT_MS = 10_000;

export async function evaluate(
  makePolicy: (ctx: EvalContext) => ScalingPolicy | Promise<ScalingPolicy>,
  options: EvalOptions & { kind?: 'horizontal' | 'vertical' },
): Promise<EvalRun> {
  const stepMs = options.stepMs ?? 15_000;
  const workload = options.workload ?? DEFAULT_EVAL_WORKLOAD;
  const bounds: ScalingBounds = { ...DEFAULT_BOUNDS, maxReplicas: 200, ...options.bounds };
  const trace = options.trace.scaledToPeak(options.peakRps);
  const durationSec = Math.min(options.durationSec ?? trace.durationSec, trace.durationSec);
  const steps = Math.floor((durationSec * 1000) / stepMs);
  const vertical = options.kind === 'vertical';
  const run = new SimRun({
    trace,
    seed: options.seed ?? 1,
    stepMs,
    workload,
    initialReplicas: vertical
      ? workload.verticalReplicas
      : (perPod, first) =>
          Math.min(
            bounds.maxReplicas,
            Math.max(bounds.minReplicas, Math.ceil(first / (perPod * 0.85))),
          ),
  });
  const policy = await makePolicy({
    stepMs,
    oracleModel: run.oracleModel,
    oracleForecast: () => run.forecast(steps),
    kind: vertical ? 'vertical' : 'horizontal',
  });
  if (policy.kind !== (vertical ? 'vertical' : 'horizontal'))
    throw new RangeError(
      `policy ${policy.name} is ${policy.kind}, the evaluation ${vertical ? 'vertical' : 'horizontal'}`,
    );

  const latencies = new Float64Array(steps);
  let nLat = 0;
  let violations = 0;
  let actions = 0;
  let fallbacks = 0;
  let replicaSum = 0;
  const points = options.seriesPoints ?? 0;
  const every = points > 0 ? Math.max(1, Math.floor(steps / points)) : 0;
  const series = {
    t: [] as number[],
    rps: [] as number[],
    replicas: [] as number[],
    p95: [] as number[],
  };
  let acc = { n: 0, rps: 0, pods: 0, p95: 0 };
  const before = run.sim.telemetry(NAMESPACE, NAME);
  for (let step = 0; step < steps; step++) {
    const observation = await run.observe();
    replicaSum += observation.specReplicas;
    const input = { observation, bounds, scaleFactor: 0.2 };
    const decision = applyGuardrails(policy.decide(input), input, options.rateLimits);
    if (decision.fallback) fallbacks++;
    actions += await run.apply(decision);
    const r = run.advance();
    if (r.violated) violations++;
    const p95 = Math.min(TIMEOUT_MS, r.p95LatencyMs);
    if (r.offered > 0) latencies[nLat++] = p95;
    if (every > 0) {
      acc.n++;
      acc.rps += r.offered / (stepMs / 1000);
      acc.pods += r.pods;
      acc.p95 = Math.max(acc.p95, p95);
      if (acc.n === every) {
        series.t.push(((step + 1) * stepMs) / 1000);
        series.rps.push(acc.rps / acc.n);
        series.replicas.push(acc.pods / acc.n);
        series.p95.push(acc.p95);
        acc = { n: 0, rps: 0, pods: 0, p95: 0 };
      }
    }
  }
  policy.close?.();
  const after = run.sim.telemetry(NAMESPACE, NAME);
  const offered = after.offeredRequests - before.offeredRequests;
  return {
    policy: policy.name,
    costCoreHours: (after.cpuRequestCoreSeconds - before.cpuRequestCoreSeconds) / 3600,
    sloViolationPct: steps > 0 ? (violations / steps) * 100 : 0,
    p95LatencyMs: quantile(latencies.subarray(0, nLat), 0.95),
    droppedPct:
      offered > 0 ? ((after.droppedRequests - before.droppedRequests) / offered) * 100 : 0,
    scalingActions: actions,
    simulatedSeconds: after.simulatedSeconds - before.simulatedSeconds,
    meanReplicas: steps > 0 ? replicaSum / steps : 0,
    fallbacks,
    series:
      every > 0
        ? {
            tSec: Float64Array.from(series.t),
            rps: Float64Array.from(series.rps),
            replicas: Float64Array.from(series.replicas),
            p95LatencyMs: Float64Array.from(series.p95),
          }
        : undefined,
  };
}
