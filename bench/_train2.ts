import { HORIZONTAL_ACTIONS, HORIZONTAL_FEATURES } from '../src/policies/dqn/horizontal.js';
import { DEFAULT_HORIZONTAL_ENV, HorizontalEnv, makeEnvRng } from '../src/rl/horizontalEnv.js';
import { DEFAULT_TRAIN_CONFIG, train } from '../src/rl/trainer.js';
const [steps, out, vp, np, gamma] = [
  Number(process.argv[2]),
  process.argv[3]!,
  Number(process.argv[4]),
  Number(process.argv[5]),
  Number(process.argv[6] ?? 0.97),
];
const env = { ...DEFAULT_HORIZONTAL_ENV, violationPenalty: vp, nearSloPenalty: np };
const r = await train(
  {
    stateDim: HORIZONTAL_FEATURES.length,
    hidden: [64, 64],
    heads: [{ name: 'replicas', actions: [...HORIZONTAL_ACTIONS] }],
  },
  (i) => new HorizontalEnv(makeEnvRng(1, i), env),
  { ...DEFAULT_TRAIN_CONFIG, steps, gamma },
  {
    now: () => performance.now(),
    onProgress: (p) => {
      if (p.steps % 30000 < 1600)
        process.stderr.write(
          `steps ${p.steps} eps ${p.epsilon.toFixed(2)} loss ${p.loss.toFixed(3)} viol ${(p.violationRate * 100).toFixed(2)}% cost ${p.costRatio.toFixed(3)} ${p.stepsPerSecond.toFixed(0)} st/s\n`,
        );
    },
  },
);
await r.dqn.save(out, {
  policy: 'dqn',
  modelType: 'x',
  stateFeatures: [...HORIZONTAL_FEATURES],
  training: {},
  createdAt: '',
  qpilotVersion: 'dev',
});
console.log('done');
