/**
 * DQN decision latency: one decision at a time (p50, p99), and one batched decision for 1,000
 * workloads; and training speed (gradient steps per second, and whole rounds of environment
 * steps as `qpilot train` runs them). Targets: p50 under 0.2 ms per
 * decision; 1,000 workloads under 20 ms. Uses the shipped model when it is there.
 */
import { existsSync } from 'node:fs';
import { DQN_EXPECTATION, DqnPolicy, loadDqnModel } from '../src/policies/dqn/dqnPolicy.js';
import { defaultModelDir } from '../src/policies/models.js';
import { observationSequence } from '../src/policies/testing/policyContract.js';
import { randomModel } from '../src/policies/testing/randomModel.js';
import { Rng } from '../src/core/rng.js';
import { DoubleDqn } from '../src/rl/qnet.js';
import { ReplayBuffer } from '../src/rl/replayBuffer.js';
import { initTf } from '../src/rl/tf.js';
import { HORIZONTAL_ACTIONS, HORIZONTAL_FEATURES } from '../src/policies/dqn/horizontal.js';
import { withFallback } from '../src/policies/guardrails.js';
import { HpaPolicy } from '../src/policies/hpa/hpa.js';
import type { ScalingPolicy } from '../src/policies/types.js';
import { HorizontalEnv, makeEnvRng } from '../src/rl/horizontalEnv.js';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/rl/trainer.js';
import { emit, median } from './lib.js';

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export async function decisions(): Promise<void> {
  const dir = defaultModelDir('dqn');
  const model = existsSync(dir)
    ? await loadDqnModel(dir)
    : randomModel(DQN_EXPECTATION, 1, [64, 64]);
  const inputs = observationSequence(1, 2000);
  const single = (policy: ScalingPolicy) => {
    for (const i of inputs.slice(0, 500)) policy.decide(i);
    const times: number[] = [];
    for (const i of inputs) {
      const t0 = performance.now();
      policy.decide(i);
      times.push(performance.now() - t0);
    }
    return times;
  };
  const times = single(new DqnPolicy(model));
  // As served: the network behind its fallback, which runs the HPA beside it every time.
  const servedTimes = single(withFallback(new DqnPolicy(model), new HpaPolicy()));
  const batchInputs = observationSequence(2, 1000).map((i, k) => ({
    ...i,
    observation: { ...i.observation, name: `w${k}` },
  }));
  const batch = (make: () => ScalingPolicy) => {
    const times: number[] = [];
    for (let r = 0; r < 20; r++) {
      const p = make();
      const t0 = performance.now();
      p.decideBatch!(batchInputs);
      times.push(performance.now() - t0);
    }
    return median(times);
  };
  const batchTimes = [batch(() => new DqnPolicy(model))];
  const servedBatchMs = batch(() => withFallback(new DqnPolicy(model), new HpaPolicy()));
  emit({
    bench: 'dqn-decisions',
    model: existsSync(dir) ? dir : 'random weights (no shipped model)',
    singleP50Ms: Number(percentile(times, 0.5).toFixed(4)),
    singleP99Ms: Number(percentile(times, 0.99).toFixed(4)),
    servedSingleP50Ms: Number(percentile(servedTimes, 0.5).toFixed(4)),
    servedSingleP99Ms: Number(percentile(servedTimes, 0.99).toFixed(4)),
    targetSingleP50Ms: 0.2,
    batch1000Ms: Number(median(batchTimes).toFixed(2)),
    servedBatch1000Ms: Number(servedBatchMs.toFixed(2)),
    targetBatch1000Ms: 20,
  });

  const tf = await initTf();
  const spec = {
    stateDim: HORIZONTAL_FEATURES.length,
    hidden: [64, 64],
    heads: [{ name: 'replicas', actions: [...HORIZONTAL_ACTIONS] }],
  };
  const dqn = new DoubleDqn(
    tf,
    spec,
    { gamma: 0.97, learningRate: 5e-4, huberDelta: 1, clipNorm: 10 },
    new Rng(1),
  );
  const buffer = new ReplayBuffer(10_000, spec.stateDim, 1);
  const rng = new Rng(2);
  for (let i = 0; i < 10_000; i++) {
    const s = Float32Array.from({ length: spec.stateDim }, () => rng.next());
    buffer.add(s, [rng.int(0, 8)], [-rng.next()], s, 0.97);
  }
  for (let i = 0; i < 50; i++) dqn.train(buffer.sample(64, rng));
  const steps = 500;
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) dqn.train(buffer.sample(64, rng));
  const sec = (performance.now() - t0) / 1000;
  emit({
    bench: 'dqn-training',
    backend: tf.getBackend(),
    batchSize: 64,
    gradientStepsPerSecond: Math.round(steps / sec),
    msPerGradientStep: Number(((sec * 1000) / steps).toFixed(3)),
  });

  // Whole training rounds as `qpilot train` runs them: 8 environments, 2 gradient steps per round.
  const trainSteps = 24_000;
  const t1 = performance.now();
  await train(spec, (i) => new HorizontalEnv(makeEnvRng(1, i)), {
    ...DEFAULT_TRAIN_CONFIG,
    steps: trainSteps,
    warmupSteps: 2_000,
    checkpointEvery: trainSteps * 2,
  });
  const trainSec = (performance.now() - t1) / 1000;
  emit({
    bench: 'dqn-training-loop',
    envs: DEFAULT_TRAIN_CONFIG.envs,
    environmentSteps: trainSteps,
    environmentStepsPerSecond: Math.round(trainSteps / trainSec),
    defaultTrainingMinutes: Number(
      (DEFAULT_TRAIN_CONFIG.steps / (trainSteps / trainSec) / 60).toFixed(1),
    ),
  });
}
