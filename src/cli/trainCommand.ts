/**
 * `qpilot train`: trains `dqn` (horizontal) or `dqn-vertical` (CPU and memory heads) in the
 * simulator and writes a model directory with its metadata, plus periodic checkpoints.
 */
import { resolve } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { HORIZONTAL_ACTIONS, HORIZONTAL_FEATURES } from '../policies/dqn/horizontal.js';
import { VERTICAL_FEATURES, VERTICAL_HEADS } from '../policies/dqnVertical/vertical.js';
import { defaultModelDir } from '../policies/models.js';
import { DEFAULT_HORIZONTAL_ENV, HorizontalEnv, makeEnvRng } from '../rl/horizontalEnv.js';
import type { NetworkSpec } from '../rl/qnet.js';
import {
  DEFAULT_TRAIN_CONFIG,
  type Env,
  type TrainConfig,
  type TrainProgress,
  checkpointDir,
  train,
} from '../rl/trainer.js';
import { DEFAULT_VERTICAL_ENV, VerticalEnv } from '../rl/verticalEnv.js';
import type { Trace } from '../traces/trace.js';
import { loadWorkloadProfile } from '../eval/workloadProfile.js';
import { resolveTrace } from './evaluateCommand.js';
import type { CliIo } from './io.js';
import { VERSION } from './version.js';

export interface TrainFlags {
  policy?: string;
  out?: string;
  steps?: string;
  envs?: string;
  seed?: string;
  trace?: string[];
  checkpointEvery?: string;
  hidden?: string;
  /** Workload profiles to train dqn on (bundled names or JSON files); wide ranges by default. */
  workload?: string[];
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw invalidArgument(`${flag} must be a positive integer, got "${text}"`);
  return n;
}

function progressLine(p: TrainProgress, total: number): string {
  const width = 24;
  const done = Math.round((p.steps / total) * width);
  const bar = '#'.repeat(done) + '.'.repeat(width - done);
  return (
    `[${bar}] ${String(p.steps).padStart(String(total).length)}/${total} steps | episode ${p.episodes} | ` +
    `return ${p.episodes > 0 ? p.episodeReturn.toFixed(0) : '-'} | loss ${p.loss.toFixed(4)} | eps ${p.epsilon.toFixed(3)} | ` +
    `violations ${(p.violationRate * 100).toFixed(2)}% | cost x${p.costRatio.toFixed(3)} | ${p.stepsPerSecond.toFixed(0)} steps/s`
  );
}

export async function runTraining(flags: TrainFlags, io: CliIo, now: () => number): Promise<void> {
  const policy = flags.policy ?? 'dqn';
  if (policy !== 'dqn' && policy !== 'dqn-vertical')
    throw invalidArgument(`--policy must be dqn or dqn-vertical, got "${policy}"`);
  const hidden = (flags.hidden ?? '64,64')
    .split(',')
    .map((h) => positiveInt(h.trim(), '--hidden', 64));
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    steps: positiveInt(flags.steps, '--steps', policy === 'dqn' ? 300_000 : 200_000),
    envs: positiveInt(flags.envs, '--envs', DEFAULT_TRAIN_CONFIG.envs),
    seed: flags.seed ?? '1',
    hidden,
  };
  config.checkpointEvery = positiveInt(
    flags.checkpointEvery,
    '--checkpoint-every',
    Math.max(10_000, Math.floor(config.steps / 4)),
  );
  config.warmupSteps = Math.min(config.warmupSteps, Math.floor(config.steps / 4));
  const out = resolve(io.cwd, flags.out ?? defaultModelDir(policy));
  const traces: Trace[] = [];
  for (const ref of flags.trace ?? []) traces.push(await resolveTrace(ref, io.cwd));

  const horizontal = policy === 'dqn';
  const profiles = (flags.workload ?? []).map((w) => loadWorkloadProfile(w, io.cwd));
  if (profiles.length > 0 && !horizontal)
    throw invalidArgument('--workload trains dqn; dqn-vertical trains on its own workload');
  const envBase = {
    ...DEFAULT_HORIZONTAL_ENV,
    ...(traces.length ? { traces } : {}),
    ...(profiles.length ? { workloads: profiles.map((p) => p.workload) } : {}),
  };
  const spec: NetworkSpec = horizontal
    ? {
        stateDim: HORIZONTAL_FEATURES.length,
        hidden,
        heads: [{ name: 'replicas', actions: [...HORIZONTAL_ACTIONS] }],
      }
    : { stateDim: VERTICAL_FEATURES.length, hidden, heads: VERTICAL_HEADS };
  const makeEnv = (i: number): Env =>
    horizontal
      ? new HorizontalEnv(makeEnvRng(config.seed, i), envBase)
      : new VerticalEnv(makeEnvRng(config.seed, i), DEFAULT_VERTICAL_ENV);
  const envOptions = horizontal
    ? {
        ...DEFAULT_HORIZONTAL_ENV,
        bounds: undefined,
        traces: undefined,
        workloads: profiles.length
          ? profiles.map((p) => p.name)
          : 'drawn per episode over wide ranges (src/rl/workloadSampler.ts)',
      }
    : DEFAULT_VERTICAL_ENV;
  const metadata = (extra: Record<string, unknown>) => ({
    policy,
    modelType: horizontal
      ? 'Deep Q-Network (Double DQN), horizontal'
      : 'Multi-head Deep Q-Network (Double DQN) for CPU and memory',
    stateFeatures: [...(horizontal ? HORIZONTAL_FEATURES : VERTICAL_FEATURES)],
    training: {
      algorithm: 'Double DQN with a target network, replay memory and a linear epsilon schedule',
      seed: config.seed,
      config: { ...config, seed: undefined },
      environment: envOptions,
      traffic: traces.length
        ? traces.map((t) => t.name)
        : 'synthetic (src/rl/synthetic.ts); the published traces are kept for evaluation',
      ...extra,
    },
    createdAt: new Date(now()).toISOString(),
    qpilotVersion: VERSION,
  });
  const tty = io.isTTY ?? false;
  let lastLine = 0;
  io.stderr(
    `training ${policy} for ${config.steps} steps over ${config.envs} environments (seed ${config.seed}) into ${out}\n`,
  );
  const result = await train(spec, makeEnv, config, {
    now,
    onProgress: (p) => {
      if (tty) io.stderr(`\r${progressLine(p, config.steps)}`);
      else if (p.steps - lastLine >= config.steps / 20 || p.steps >= config.steps) {
        io.stderr(progressLine(p, config.steps) + '\n');
        lastLine = p.steps;
      }
    },
    onCheckpoint: async (dqn, step) => {
      await dqn.save(checkpointDir(out, step), metadata({ checkpointStep: step }));
    },
  });
  if (tty) io.stderr('\n');
  await result.dqn.save(
    out,
    metadata({ durationSec: Math.round(result.durationSec), finalProgress: result.progress }),
  );
  io.stderr(`wrote ${out} after ${Math.round(result.durationSec)} s\n`);
}
