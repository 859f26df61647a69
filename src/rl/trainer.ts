/**
 * `qpilot train`: Double DQN with a target network, a replay memory and a decaying ε, over
 * several environments stepped together. Deterministic for a seed. Writes a model directory
 * (and checkpoints) that `qpilot serve` and `qpilot evaluate` load.
 */
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { Rng } from '../core/rng.js';
import { DoubleDqn, type DqnHyper, type NetworkSpec } from './qnet.js';
import { ReplayBuffer } from './replayBuffer.js';
import { initTf } from './tf.js';

/** An environment with one or more decision heads (replicas; or CPU and memory). */
export interface Env {
  reset(): Promise<Float32Array>;
  step(actions: number[]): Promise<{
    next: Float32Array;
    rewards: number[];
    done: boolean;
    violated: boolean;
    costRatio: number;
    /** Intervals the step spanned (1 unless the agent was not asked for a while). */
    intervals?: number;
  }>;
}

export interface TrainConfig extends DqnHyper {
  /** Environment steps in all (over every environment). */
  steps: number;
  envs: number;
  seed: number | string;
  batchSize: number;
  replayCapacity: number;
  /** Transitions collected before learning starts. */
  warmupSteps: number;
  /** Gradient steps per round of environment steps. */
  gradientStepsPerRound: number;
  /** Gradient steps between copies of the online network into the target network. */
  targetSyncEvery: number;
  epsilonStart: number;
  epsilonEnd: number;
  /** ε decays linearly over this fraction of the steps. */
  epsilonDecayFraction: number;
  hidden: number[];
  checkpointEvery: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  steps: 300_000,
  envs: 8,
  seed: 1,
  batchSize: 64,
  replayCapacity: 200_000,
  warmupSteps: 10_000,
  gradientStepsPerRound: 2,
  targetSyncEvery: 1_000,
  epsilonStart: 1,
  epsilonEnd: 0.02,
  epsilonDecayFraction: 0.5,
  hidden: [64, 64],
  checkpointEvery: 100_000,
  gamma: 0.97,
  learningRate: 5e-4,
  huberDelta: 1,
  clipNorm: 10,
};

export interface TrainProgress {
  steps: number;
  episodes: number;
  epsilon: number;
  loss: number;
  /** Mean return of the last episodes. */
  episodeReturn: number;
  violationRate: number;
  costRatio: number;
  stepsPerSecond: number;
}

export interface TrainResult {
  progress: TrainProgress;
  durationSec: number;
  dqn: DoubleDqn;
  tf: typeof TF;
}

export interface TrainHooks {
  onProgress?: (p: TrainProgress) => void;
  /** Called with each checkpoint directory to write. */
  onCheckpoint?: (dqn: DoubleDqn, step: number) => Promise<void>;
  /** Wall-clock milliseconds (injected: the trainer itself never reads the clock). */
  now?: () => number;
}

export function checkpointDir(out: string, step: number): string {
  return join(out, 'checkpoints', `step-${String(step).padStart(8, '0')}`);
}

export async function train(
  spec: NetworkSpec,
  makeEnv: (index: number) => Env,
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const tf = await initTf();
  const rng = new Rng(`${String(config.seed)}/trainer`);
  const dqn = new DoubleDqn(tf, spec, config, rng.fork('network'));
  const heads = spec.heads.length;
  const buffer = new ReplayBuffer(config.replayCapacity, spec.stateDim, heads);
  const envs = Array.from({ length: config.envs }, (_, i) => makeEnv(i));
  const states = await Promise.all(envs.map((e) => e.reset()));
  const now = hooks.now ?? (() => 0);
  const started = now();
  const returns: number[] = [];
  const episodeReturn = new Float64Array(config.envs);
  let episodes = 0;
  let steps = 0;
  let gradientSteps = 0;
  let loss = 0;
  let violations = 0;
  let costSum = 0;
  let windowSteps = 0;
  let nextCheckpoint = config.checkpointEvery;
  let nextReport = 0;
  const decaySteps = config.steps * config.epsilonDecayFraction;
  let progress: TrainProgress = {
    steps: 0,
    episodes: 0,
    epsilon: config.epsilonStart,
    loss: 0,
    episodeReturn: 0,
    violationRate: 0,
    costRatio: 0,
    stepsPerSecond: 0,
  };

  while (steps < config.steps) {
    const epsilon = Math.max(
      config.epsilonEnd,
      config.epsilonStart - ((config.epsilonStart - config.epsilonEnd) * steps) / decaySteps,
    );
    // Greedy actions for the whole batch of environments in one forward pass.
    const x = new Float32Array(config.envs * spec.stateDim);
    states.forEach((s, i) => x.set(s, i * spec.stateDim));
    const q = tf.tidy(() => {
      const out = dqn.online.predict(tf.tensor2d(x, [config.envs, spec.stateDim]));
      return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
    });
    for (let i = 0; i < config.envs; i++) {
      const actions = spec.heads.map((h, hi) => {
        const n = h.actions.length;
        if (rng.next() < epsilon) return rng.int(0, n - 1);
        let best = 0;
        for (let a = 1; a < n; a++) if (q[hi]![i * n + a]! > q[hi]![i * n + best]!) best = a;
        return best;
      });
      const r = await envs[i]!.step(actions);
      // Episodes end by truncation, not in a terminal state: the next state's value counts,
      // discounted once per interval the step spanned.
      buffer.add(states[i]!, actions, r.rewards, r.next, config.gamma ** (r.intervals ?? 1));
      episodeReturn[i]! += r.rewards[0]!;
      if (r.violated) violations++;
      costSum += r.costRatio;
      windowSteps++;
      steps++;
      if (r.done) {
        // Episodes end by truncation, not by reaching a terminal state: bootstrapping goes on.
        returns.push(episodeReturn[i]!);
        if (returns.length > 20) returns.shift();
        episodeReturn[i] = 0;
        episodes++;
        states[i] = await envs[i]!.reset();
      } else {
        states[i] = r.next;
      }
    }
    if (buffer.size >= config.warmupSteps) {
      for (let g = 0; g < config.gradientStepsPerRound; g++) {
        const l = dqn.train(buffer.sample(config.batchSize, rng));
        loss = loss === 0 ? l : 0.98 * loss + 0.02 * l;
        if (++gradientSteps % config.targetSyncEvery === 0) dqn.syncTarget();
      }
    }
    if (steps >= nextReport || steps >= config.steps) {
      const elapsed = (now() - started) / 1000;
      progress = {
        steps,
        episodes,
        epsilon,
        loss,
        episodeReturn: returns.length ? returns.reduce((a, b) => a + b, 0) / returns.length : 0,
        violationRate: windowSteps ? violations / windowSteps : 0,
        costRatio: windowSteps ? costSum / windowSteps : 0,
        stepsPerSecond: elapsed > 0 ? steps / elapsed : 0,
      };
      hooks.onProgress?.(progress);
      violations = 0;
      costSum = 0;
      windowSteps = 0;
      nextReport = steps + Math.max(config.envs, Math.floor(config.steps / 200));
    }
    if (steps >= nextCheckpoint) {
      await hooks.onCheckpoint?.(dqn, steps);
      nextCheckpoint += config.checkpointEvery;
    }
  }
  return { progress, durationSec: (now() - started) / 1000, dqn, tf };
}
