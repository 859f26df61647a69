/**
 * Runs a policy against a trace in the simulator, the same way for every policy, and measures
 * what EVALUATION.md defines: cost in core-hours, SLO violations, p95 latency, drops and the
 * changes applied. The policy sees only observations (usage with metrics-server's lag) through
 * the ClusterClient; the guardrails apply as they do in the controller, and changes go through
 * the controller's actuator (a workload whose change still rolls out is left alone, as the
 * loop leaves it, unless the policy stands for a Kubernetes controller). The service level is
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
  /**
   * Leave the workload alone while its last change rolls out, as qpilot's loop does (the
   * default). Off for the baselines that stand for the Kubernetes controllers, which decide
   * every sync whatever is rolling out (registry.decidesWhileRollingOut).
   */
  skipInFlight?: boolean;
  /** Whether policies see the workload's latency and its SLO (default true). */
  latencySignal?: boolean;
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
    latencySignal: options.latencySignal ?? true,
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
  const series = new SeriesRecorder(steps, options.seriesPoints ?? 0, stepMs);
  const before = run.sim.telemetry(NAMESPACE, NAME);
  const skipInFlight = options.skipInFlight ?? true;
  for (let step = 0; step < steps; step++) {
    await run.settle();
    const observation = await run.observe();
    replicaSum += observation.specReplicas;
    if (!(skipInFlight && run.inFlight())) {
      const input = {
        observation,
        bounds,
        scaleFactor: 0.2,
        ...(options.latencySignal === false ? {} : { slo: run.slo }),
      };
      const decision = applyGuardrails(policy.decide(input), input, options.rateLimits);
      if (decision.fallback) fallbacks++;
      actions += await run.apply(decision, observation);
    }
    const r = run.advance();
    if (r.violated) violations++;
    const p95 = Math.min(TIMEOUT_MS, r.p95LatencyMs);
    if (r.offered > 0) latencies[nLat++] = p95;
    series.add(step, r.offered, r.pods, p95);
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
    series: series.result(),
  };
}

/** About `points` averaged points of load, pods and worst p95 latency, for plots. */
class SeriesRecorder {
  private readonly every: number;
  private readonly t: number[] = [];
  private readonly rps: number[] = [];
  private readonly replicas: number[] = [];
  private readonly p95: number[] = [];
  private acc = { n: 0, rps: 0, pods: 0, p95: 0 };

  constructor(
    steps: number,
    points: number,
    private readonly stepMs: number,
  ) {
    this.every = points > 0 ? Math.max(1, Math.floor(steps / points)) : 0;
  }

  add(step: number, offered: number, pods: number, p95: number): void {
    if (this.every === 0) return;
    const a = this.acc;
    a.n++;
    a.rps += offered / (this.stepMs / 1000);
    a.pods += pods;
    a.p95 = Math.max(a.p95, p95);
    if (a.n < this.every) return;
    this.t.push(((step + 1) * this.stepMs) / 1000);
    this.rps.push(a.rps / a.n);
    this.replicas.push(a.pods / a.n);
    this.p95.push(a.p95);
    this.acc = { n: 0, rps: 0, pods: 0, p95: 0 };
  }

  result(): EvalSeries | undefined {
    if (this.every === 0) return undefined;
    return {
      tSec: Float64Array.from(this.t),
      rps: Float64Array.from(this.rps),
      replicas: Float64Array.from(this.replicas),
      p95LatencyMs: Float64Array.from(this.p95),
    };
  }
}
