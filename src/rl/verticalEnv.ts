/**
 * The vertical DQN's training environment: a fixed number of pods under synthetic traffic,
 * resized in place every 15 s. Each head has its own reward: the CPU head pays for CPU
 * requested beyond what the load needs at the SLO's limit and, heavily, for SLO violations;
 * the memory head pays for memory requested beyond what is used and, heavily, for OOM kills.
 */
import type { Rng } from '../core/rng.js';
import { DEFAULT_EVAL_WORKLOAD, NAME, NAMESPACE, SimRun } from '../eval/simRun.js';
import { DEFAULT_RATE_LIMITS, applyGuardrails } from '../policies/guardrails.js';
import {
  type UsageHistory,
  type VerticalState,
  memoryFloorBytes,
  scaled,
  verticalState,
} from '../policies/dqnVertical/vertical.js';
import type { WorkloadObservation } from '../core/workload.js';
import { type PolicyInput, type ScalingBounds, verticalDecision } from '../policies/types.js';
import { podSize, summarizeUsage } from '../policies/usage.js';
import { syntheticTrace } from './synthetic.js';
import type { Env } from './trainer.js';

export interface VerticalEnvOptions {
  episodeSteps: number;
  stepMs: number;
  /** Peak load per pod, drawn log-uniformly (requests/s). */
  peakRpsPerPod: [number, number];
  replicas: [number, number];
  violationPenalty: number;
  oomPenalty: number;
  /** Paid by a head each time its resource is changed: resizing every 15 s has costs of its own. */
  changePenalty: number;
  scaleFactor: number;
  bounds: ScalingBounds;
}

export const DEFAULT_VERTICAL_ENV: VerticalEnvOptions = {
  episodeSteps: 960,
  stepMs: 15_000,
  peakRpsPerPod: [40, 600],
  replicas: [2, 6],
  violationPenalty: 30,
  oomPenalty: 60,
  changePenalty: 0.3,
  scaleFactor: 0.2,
  bounds: {
    minReplicas: 1,
    maxReplicas: 100,
    minCpuMillicores: 100,
    maxCpuMillicores: 8000,
    minMemoryBytes: 64 * 2 ** 20,
    maxMemoryBytes: 4096 * 2 ** 20,
  },
};

export class VerticalEnv implements Env {
  private run!: SimRun;
  private history: UsageHistory = { cpu: [], memory: [], restarts: 0 };
  private observation!: WorkloadObservation;
  private state!: VerticalState;
  private steps = 0;
  private oomKills = 0;

  constructor(
    private readonly rng: Rng,
    readonly options: VerticalEnvOptions = DEFAULT_VERTICAL_ENV,
  ) {}

  private input(): PolicyInput {
    return {
      observation: this.observation,
      bounds: this.options.bounds,
      scaleFactor: this.options.scaleFactor,
    };
  }

  async reset(): Promise<Float32Array> {
    const replicas = this.rng.int(this.options.replicas[0], this.options.replicas[1]);
    const [lo, hi] = this.options.peakRpsPerPod;
    const peak = replicas * lo * (hi / lo) ** this.rng.next();
    const seconds = (this.options.episodeSteps * this.options.stepMs) / 1000 + 600;
    const trace = syntheticTrace(
      this.rng.fork(`v-episode-${this.rng.nextUint32()}`),
      seconds,
    ).scaledToPeak(peak);
    const cpu = `${Math.round(150 + 1850 * this.rng.next())}m`;
    const memory = `${Math.round(96 + 900 * this.rng.next())}Mi`;
    this.run = new SimRun({
      trace,
      seed: this.rng.nextUint32(),
      stepMs: this.options.stepMs,
      workload: { ...DEFAULT_EVAL_WORKLOAD, cpu, memory },
      initialReplicas: replicas,
    });
    this.history = { cpu: [], memory: [], restarts: 0 };
    this.steps = 0;
    this.oomKills = this.run.sim.telemetry(NAMESPACE, NAME).oomKills;
    this.observation = await this.run.observe();
    this.state = verticalState(this.input(), this.history);
    return this.state.features;
  }

  async step([cpuAction = 1, memoryAction = 1]: number[]): Promise<{
    next: Float32Array;
    rewards: number[];
    done: boolean;
    violated: boolean;
    costRatio: number;
  }> {
    const o = this.observation;
    const input = this.input();
    const size = podSize(o);
    const raw = verticalDecision(
      'dqn-vertical',
      o,
      {
        cpuMillicores: scaled(size.cpuRequestMillicores, cpuAction, this.options.scaleFactor),
        memoryBytes: Math.max(
          scaled(size.memoryRequestBytes, memoryAction, this.options.scaleFactor),
          memoryFloorBytes(this.history),
        ),
      },
      { explanation: { reasoning: '', factors: [] } },
    );
    const guarded = applyGuardrails(raw, input, DEFAULT_RATE_LIMITS);
    await this.run.apply(guarded, o);
    const applied = guarded.canScale;
    const cpuChanged = applied && guarded.cpuMillicores.desired !== guarded.cpuMillicores.current;
    const memChanged = applied && guarded.memoryBytes.desired !== guarded.memoryBytes.current;
    let cpuReward = cpuChanged ? -this.options.changePenalty : 0;
    let memReward = memChanged ? -this.options.changePenalty : 0;
    let violated = false;
    let costRatio = 0;
    let intervals = 0;
    // As in the control loop, the agent is not asked again while a change rolls out.
    do {
      const r = this.run.advance();
      const tel = this.run.sim.telemetry(NAMESPACE, NAME);
      const oom = tel.oomKills - this.oomKills;
      this.oomKills = tel.oomKills;
      await this.run.settle();
      this.observation = await this.run.observe();
      const usage = summarizeUsage(this.observation);
      const after = podSize(this.observation);
      const podCores = after.cpuRequestMillicores / 1000;
      const pods = Math.max(1, this.observation.specReplicas);
      const idealCores = Math.max(
        0.05 * pods,
        ((r.offered / (this.options.stepMs / 1000)) * 0.005) / 0.83,
      );
      const cpuCost = (podCores * pods) / idealCores;
      const memRequest = after.memoryRequestBytes * pods;
      const memCost =
        memRequest /
        Math.max(usage.memoryUsageBytes * (pods / Math.max(1, usage.measuredPods)), 32 * 2 ** 20);
      cpuReward -= cpuCost + (r.violated ? this.options.violationPenalty : 0);
      memReward -= 0.5 * memCost + (oom > 0 ? this.options.oomPenalty : 0);
      violated ||= r.violated;
      costRatio += cpuCost;
      intervals++;
      this.steps++;
    } while (this.run.inFlight() && this.steps < this.options.episodeSteps);
    this.state = verticalState(this.input(), this.history);
    return {
      next: this.state.features,
      rewards: [cpuReward, memReward],
      done: this.steps >= this.options.episodeSteps,
      violated,
      costRatio: costRatio / intervals,
    };
  }
}
