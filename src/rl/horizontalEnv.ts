/**
 * The horizontal DQN's training environment: one workload in the simulator under synthetic
 * traffic, stepped every 15 s. The agent sees exactly what the `dqn` policy sees; the reward is
 * what the evaluation judges — the pods paid for, relative to the pods the load needs at the
 * SLO's limit, and a heavy penalty for an interval that violates the SLO. Changes go through
 * the controller's actuator, and as in the control loop the agent is not asked again while a
 * change rolls out: a step then spans every interval until the rollout is done, and its reward
 * is theirs summed.
 */
import { Rng } from '../core/rng.js';
import { DEFAULT_EVAL_WORKLOAD, type EvalWorkload, SimRun } from '../eval/simRun.js';
import { DEFAULT_RATE_LIMITS, applyGuardrails } from '../policies/guardrails.js';
import {
  type DemandHistory,
  type HorizontalState,
  horizontalState,
  replicasForAction,
} from '../policies/dqn/horizontal.js';
import type { HorizontalDecision } from '../core/decision.js';
import type { WorkloadObservation } from '../core/workload.js';
import { DEFAULT_BOUNDS, decisionHeader, type ScalingBounds } from '../policies/types.js';
import type { Trace } from '../traces/trace.js';
import { syntheticTrace } from './synthetic.js';
import type { Env } from './trainer.js';

export interface HorizontalEnvOptions {
  episodeSteps: number;
  stepMs: number;
  /** The episode's peak load is drawn log-uniformly from this range. */
  peakRps: [number, number];
  /** Reward lost for an interval that violates the SLO. */
  violationPenalty: number;
  /** Reward lost, growing linearly to this, as an interval's p95 nears the SLO from `nearSloFrom` of it. */
  nearSloPenalty: number;
  nearSloFrom: number;
  /** Reward lost per change of the replica count (churn has costs of its own). */
  changePenalty: number;
  /**
   * The cost term is pods over the pods the load needs, but never over fewer than this many:
   * a spare pod on a small workload costs little in core-hours, a violation just as much.
   */
  costFloorPods: number;
  workload: EvalWorkload;
  bounds: ScalingBounds;
  /** Where traffic comes from: synthetic by default, or random windows of these traces. */
  traces?: Trace[];
}

export const DEFAULT_HORIZONTAL_ENV: HorizontalEnvOptions = {
  episodeSteps: 1440,
  stepMs: 15_000,
  peakRps: [30, 3000],
  violationPenalty: 60,
  nearSloPenalty: 3,
  nearSloFrom: 0.85,
  changePenalty: 0.6,
  costFloorPods: 4,
  workload: DEFAULT_EVAL_WORKLOAD,
  bounds: { ...DEFAULT_BOUNDS, maxReplicas: 200 },
};

export interface StepResult {
  next: Float32Array;
  rewards: number[];
  done: boolean;
  violated: boolean;
  costRatio: number;
  /** The intervals the step spanned: more than one while a change rolled out. */
  intervals: number;
}

export class HorizontalEnv implements Env {
  private run!: SimRun;
  private history: DemandHistory = { demand: [] };
  private observation!: WorkloadObservation;
  private state!: HorizontalState;
  private steps = 0;

  constructor(
    private readonly rng: Rng,
    readonly options: HorizontalEnvOptions = DEFAULT_HORIZONTAL_ENV,
  ) {}

  private episodeTrace(): Trace {
    const seconds = (this.options.episodeSteps * this.options.stepMs) / 1000 + 600;
    const traces = this.options.traces;
    if (traces && traces.length > 0) {
      const t = this.rng.pick(traces);
      const start = this.rng.next() * Math.max(0, t.durationSec - seconds);
      return t.window(start, seconds);
    }
    return syntheticTrace(this.rng.fork(`episode-${this.rng.nextUint32()}`), seconds);
  }

  async reset(): Promise<Float32Array> {
    const [lo, hi] = this.options.peakRps;
    const peak = lo * (hi / lo) ** this.rng.next();
    const trace = this.episodeTrace().scaledToPeak(peak);
    const headroom = 0.6 + 0.35 * this.rng.next();
    const { minReplicas, maxReplicas } = this.options.bounds;
    this.run = new SimRun({
      trace,
      seed: this.rng.nextUint32(),
      stepMs: this.options.stepMs,
      workload: this.options.workload,
      initialReplicas: (perPod, first) =>
        Math.min(maxReplicas, Math.max(minReplicas, Math.ceil(first / (perPod * headroom)))),
    });
    this.history = { demand: [] };
    this.steps = 0;
    this.observation = await this.run.observe();
    this.state = horizontalState(this.observation, this.history, maxReplicas);
    return this.state.features;
  }

  async step([action]: number[]): Promise<StepResult> {
    const o = this.observation;
    const desired = replicasForAction(action ?? 0, o.specReplicas, this.state);
    const input = { observation: o, bounds: this.options.bounds, scaleFactor: 0.2 };
    const raw: HorizontalDecision = {
      ...decisionHeader('dqn', o),
      kind: 'horizontal',
      replicas: { current: o.specReplicas, desired },
      canScale: desired !== o.specReplicas,
      explanation: { reasoning: '', factors: [] },
    };
    const changed = await this.run.apply(applyGuardrails(raw, input, DEFAULT_RATE_LIMITS), o);
    let reward = -this.options.changePenalty * changed;
    let violated = false;
    let costRatio = 0;
    let intervals = 0;
    do {
      const r = this.run.advance();
      reward += this.intervalReward(r);
      violated ||= r.violated;
      costRatio += r.pods / Math.max(1, r.idealPods);
      intervals++;
      this.steps++;
      await this.run.settle();
    } while (this.run.inFlight() && this.steps < this.options.episodeSteps);
    this.observation = await this.run.observe();
    this.state = horizontalState(this.observation, this.history, this.options.bounds.maxReplicas);
    return {
      next: this.state.features,
      rewards: [reward],
      done: this.steps >= this.options.episodeSteps,
      violated,
      costRatio: costRatio / intervals,
      intervals,
    };
  }

  /** One interval: the pods paid for against those the load needs, the SLO and its margin. */
  private intervalReward(r: ReturnType<SimRun['advance']>): number {
    const slo = this.options.workload.model.sloLatencyMs ?? 200;
    const near = Math.min(
      1,
      Math.max(
        0,
        (r.p95LatencyMs / slo - this.options.nearSloFrom) / (1 - this.options.nearSloFrom),
      ),
    );
    return (
      -r.pods / Math.max(this.options.costFloorPods, r.idealPods) -
      (r.violated ? this.options.violationPenalty : 0) -
      this.options.nearSloPenalty * near
    );
  }
}

export function makeEnvRng(seed: number | string, index: number): Rng {
  return new Rng(`${String(seed)}/env-${index}`);
}
