/**
 * The horizontal DQN's training environment: one workload in the simulator under synthetic
 * traffic, stepped every 15 s. Each episode draws a workload (workloadSampler.ts) and a size
 * from 1 to 150 pods at peak. The agent sees exactly what the `dqn` policy sees, latency and
 * SLO included; the reward is what the evaluation judges — the pods paid for, relative to the
 * pods the load needs at the SLO's limit, and a heavy penalty for an interval that violates
 * the SLO. Changes go through the controller's actuator, and as in the control loop the agent
 * is not asked while a change rolls out, nor while the baseline decides (before the knee is
 * learned, after a breach): a step then spans every interval until it is asked again, its
 * reward is theirs discounted, and `intervals` says how far to discount what follows.
 */
import { Rng } from '../core/rng.js';
import { DEFAULT_EVAL_WORKLOAD, type EvalWorkload, SimRun } from '../eval/simRun.js';
import { DEFAULT_RATE_LIMITS, applyGuardrails } from '../policies/guardrails.js';
import {
  baselineReplicas,
  emptyMemory,
  type HorizontalState,
  horizontalState,
  replicasForAction,
  type WorkloadMemory,
} from '../policies/dqn/horizontal.js';
import { maxRpsWithinSlo } from '../policies/oracle/oracle.js';
import { parseCpu } from '../cluster/quantity.js';
import type { HorizontalDecision } from '../core/decision.js';
import type { WorkloadObservation } from '../core/workload.js';
import { DEFAULT_BOUNDS, decisionHeader, type ScalingBounds } from '../policies/types.js';
import type { Trace } from '../traces/trace.js';
import { syntheticTrace } from './synthetic.js';
import { sampleWorkload } from './workloadSampler.js';
import type { Env } from './trainer.js';

export interface HorizontalEnvOptions {
  episodeSteps: number;
  stepMs: number;
  /** The episode's peak, in pods at the SLO's limit, is drawn log-uniformly from this range. */
  peakPods: [number, number];
  /** Discount per interval (the trainer's γ), for rewards within a step that spans several. */
  gamma: number;
  /** Reward lost for an interval that violates the SLO. */
  violationPenalty: number;
  /**
   * Reward lost, growing linearly to this, as an interval's queueing delay (p95 less the base
   * latency) nears the SLO's room for it from `nearSloFrom` of it. Measured on the queueing
   * part, so that a workload whose base latency is most of its SLO is not punished for
   * running at all.
   */
  nearSloPenalty: number;
  nearSloFrom: number;
  /** Reward lost per change of the replica count (churn has costs of its own). */
  changePenalty: number;
  /**
   * The cost term is pods over the pods the load needs, but never over fewer than this many:
   * a spare pod on a small workload costs little in core-hours, a violation just as much.
   */
  costFloorPods: number;
  /**
   * Workloads to train on, one drawn per episode; by default each episode draws its own from
   * wide ranges (workloadSampler.ts).
   */
  workloads?: EvalWorkload[];
  bounds: ScalingBounds;
  /** Where traffic comes from: synthetic by default, or random windows of these traces. */
  traces?: Trace[];
}

export const DEFAULT_HORIZONTAL_ENV: HorizontalEnvOptions = {
  episodeSteps: 1440,
  stepMs: 15_000,
  peakPods: [1, 150],
  gamma: 0.97,
  violationPenalty: 60,
  nearSloPenalty: 1,
  nearSloFrom: 0.85,
  changePenalty: 1.5,
  costFloorPods: 4,
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
  private memory: WorkloadMemory = emptyMemory();
  private observation!: WorkloadObservation;
  private state!: HorizontalState;
  private steps = 0;
  private sloLatencyMs = 200;
  private baseLatencyMs = 20;
  /** Whether this episode's policy sees the latency and the SLO. */
  private latencySignal = true;

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
    const given = this.options.workloads;
    const drawn =
      given && given.length > 0
        ? { workload: this.rng.pick(given), latencySignal: true }
        : sampleWorkload(this.rng);
    const workload = drawn.workload;
    const model = { ...DEFAULT_EVAL_WORKLOAD.model, ...workload.model };
    const perPod = maxRpsWithinSlo(
      parseCpu(workload.cpu) / 1000,
      model.cpuSecondsPerRequest!,
      model.baseLatencyMs!,
      model.sloLatencyMs!,
    );
    const [lo, hi] = this.options.peakPods;
    const peak = perPod * lo * (hi / lo) ** this.rng.next();
    const trace = this.episodeTrace().scaledToPeak(peak);
    const headroom = 0.6 + 0.35 * this.rng.next();
    const { minReplicas, maxReplicas } = this.options.bounds;
    this.sloLatencyMs = model.sloLatencyMs!;
    this.baseLatencyMs = model.baseLatencyMs!;
    this.run = new SimRun({
      trace,
      seed: this.rng.nextUint32(),
      stepMs: this.options.stepMs,
      workload,
      latencySignal: drawn.latencySignal,
      initialReplicas: (perPodRps, first) =>
        Math.min(maxReplicas, Math.max(minReplicas, Math.ceil(first / (perPodRps * headroom)))),
    });
    this.latencySignal = drawn.latencySignal;
    this.memory = emptyMemory();
    this.steps = 0;
    await this.look();
    // The baseline runs the workload until the policy trusts what it learned of it.
    while (this.state.control === 'baseline' && this.steps < this.options.episodeSteps)
      await this.act(baselineReplicas(this.observation.specReplicas, this.state), 0);
    return this.state.features;
  }

  private async look(): Promise<void> {
    this.observation = await this.run.observe();
    this.state = horizontalState(this.observation, this.memory, {
      maxReplicas: this.options.bounds.maxReplicas,
      ...(this.latencySignal ? { slo: this.run.slo } : {}),
    });
  }

  /**
   * Asks for `desired` replicas through the guardrails and the actuator, and lets intervals
   * pass until the change rolled out; the reward of those intervals, discounted from `elapsed`.
   */
  private async act(
    desired: number,
    elapsed: number,
  ): Promise<{ reward: number; violated: boolean; costRatio: number; intervals: number }> {
    const o = this.observation;
    const input = { observation: o, bounds: this.options.bounds, scaleFactor: 0.2 };
    const raw: HorizontalDecision = {
      ...decisionHeader('dqn', o),
      kind: 'horizontal',
      replicas: { current: o.specReplicas, desired },
      canScale: desired !== o.specReplicas,
      explanation: { reasoning: '', factors: [] },
    };
    const changed = await this.run.apply(applyGuardrails(raw, input, DEFAULT_RATE_LIMITS), o);
    const gamma = this.options.gamma;
    let reward = -this.options.changePenalty * changed * gamma ** elapsed;
    let violated = false;
    let costRatio = 0;
    let intervals = 0;
    do {
      const r = this.run.advance();
      reward += gamma ** (elapsed + intervals) * this.intervalReward(r);
      violated ||= r.violated;
      costRatio += r.pods / Math.max(1, r.idealPods);
      intervals++;
      this.steps++;
      await this.run.settle();
    } while (this.run.inFlight() && this.steps < this.options.episodeSteps);
    await this.look();
    return { reward, violated, costRatio, intervals };
  }

  async step([action]: number[]): Promise<StepResult> {
    const first = await this.act(
      replicasForAction(action ?? 0, this.observation.specReplicas, this.state),
      0,
    );
    let { reward, violated, costRatio, intervals } = first;
    // A breach handed control to the baseline: its intervals belong to this step.
    while (this.state.control === 'baseline' && this.steps < this.options.episodeSteps) {
      const more = await this.act(
        baselineReplicas(this.observation.specReplicas, this.state),
        intervals,
      );
      reward += more.reward;
      violated ||= more.violated;
      costRatio += more.costRatio;
      intervals += more.intervals;
    }
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
    const near = Math.min(
      1,
      Math.max(
        0,
        ((r.p95LatencyMs - this.baseLatencyMs) / (this.sloLatencyMs - this.baseLatencyMs) -
          this.options.nearSloFrom) /
          (1 - this.options.nearSloFrom),
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
