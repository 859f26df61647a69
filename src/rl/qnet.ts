/**
 * Q-networks in TensorFlow.js: a shared trunk and one linear head per decision, with named
 * layers (trunk_0, head_cpu_0, …) so that a model directory can be read without TensorFlow.js.
 * `DoubleDqn` holds the online and target networks and trains by Double DQN (van Hasselt et
 * al.): the online network picks the next action, the target network values it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.js';
import {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type HeadSpec,
  type LayerSpec,
  type ModelMetadata,
} from './modelFiles.js';

export interface NetworkSpec {
  stateDim: number;
  hidden: number[];
  heads: HeadSpec[];
}

export function architecture(spec: NetworkSpec): ModelMetadata['architecture'] {
  const trunk: LayerSpec[] = spec.hidden.map((units, i) => ({
    name: `trunk_${i}`,
    units,
    activation: 'relu',
  }));
  const heads: Record<string, LayerSpec[]> = {};
  for (const h of spec.heads)
    heads[h.name] = [{ name: `head_${h.name}_0`, units: h.actions.length, activation: 'linear' }];
  return { trunk, heads };
}

export function buildNetwork(tf: typeof TF, spec: NetworkSpec, rng: Rng): TF.LayersModel {
  const arch = architecture(spec);
  const input = tf.input({ shape: [spec.stateDim], name: 'state' });
  let x: TF.SymbolicTensor = input;
  for (const l of arch.trunk) {
    x = tf.layers
      .dense({
        name: l.name,
        units: l.units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: rng.int(0, 2 ** 30) }),
      })
      .apply(x) as TF.SymbolicTensor;
  }
  const outputs = spec.heads.map((h) => {
    const l = arch.heads[h.name]![0]!;
    return tf.layers
      .dense({
        name: l.name,
        units: l.units,
        activation: 'linear',
        kernelInitializer: tf.initializers.glorotUniform({ seed: rng.int(0, 2 ** 30) }),
      })
      .apply(x) as TF.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs });
}

export interface Batch {
  size: number;
  states: Float32Array;
  /** Per row, one action per head. */
  actions: Int32Array;
  /** Per row, one reward per head. */
  rewards: Float32Array;
  next: Float32Array;
  /**
   * What the next state's value is worth here: 0 after a terminal state, else γ^k for a step
   * that spanned k intervals (a semi-Markov step: the loop was not asked in between).
   */
  discounts: Float32Array;
}

export interface DqnHyper {
  gamma: number;
  learningRate: number;
  /** Huber loss threshold. */
  huberDelta: number;
  /** Clip gradients to this global norm. */
  clipNorm: number;
}

export class DoubleDqn {
  readonly online: TF.LayersModel;
  readonly target: TF.LayersModel;
  private readonly optimizer: TF.Optimizer;

  constructor(
    private readonly tf: typeof TF,
    readonly spec: NetworkSpec,
    private readonly hyper: DqnHyper,
    rng: Rng,
  ) {
    this.online = buildNetwork(tf, spec, rng);
    this.target = buildNetwork(tf, spec, rng);
    this.syncTarget();
    this.optimizer = tf.train.adam(hyper.learningRate);
  }

  syncTarget(): void {
    this.target.setWeights(this.online.getWeights());
  }

  /** One gradient step on a batch; returns the loss. */
  train(batch: Batch): number {
    const tf = this.tf;
    const heads = this.spec.heads;
    const H = heads.length;
    const B = batch.size;
    const lossTensor = tf.tidy(() => {
      const s = tf.tensor2d(batch.states, [B, this.spec.stateDim]);
      const s2 = tf.tensor2d(batch.next, [B, this.spec.stateDim]);
      const asList = (t: TF.Tensor | TF.Tensor[]) => (Array.isArray(t) ? t : [t]);
      const nextOnline = asList(this.online.predict(s2));
      const nextTarget = asList(this.target.predict(s2));
      const discounts = tf.tensor1d(batch.discounts);
      const actions = tf.tensor2d(batch.actions, [B, H], 'int32');
      const rewards = tf.tensor2d(batch.rewards, [B, H]);
      const targets = heads.map((h, i) => {
        const n = h.actions.length;
        const best = tf.argMax(nextOnline[i]!, 1);
        const value = tf.sum(tf.mul(nextTarget[i]!, tf.oneHot(best, n)), 1);
        const r = tf.squeeze(tf.slice(rewards, [0, i], [B, 1]), [1]);
        return tf.add(r, tf.mul(discounts, value));
      });
      const masks = heads.map((h, i) =>
        tf.oneHot(
          tf.squeeze<TF.Tensor1D>(tf.slice(actions, [0, i], [B, 1]), [1]),
          h.actions.length,
        ),
      );
      const { value, grads } = tf.variableGrads(() => {
        const q = asList(this.online.apply(s, { training: true }) as TF.Tensor | TF.Tensor[]);
        let total = tf.scalar(0);
        for (let i = 0; i < H; i++) {
          const chosen = tf.sum(tf.mul(q[i]!, masks[i]!), 1);
          total = tf.add(
            total,
            tf.losses.huberLoss(targets[i]!, chosen, undefined, this.hyper.huberDelta),
          );
        }
        return total;
      });
      // Clip by global norm: a rare huge TD error must not throw the network off.
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(1, tf.div(this.hyper.clipNorm, tf.add(norm, 1e-6)));
      const clipped: Record<string, TF.Tensor> = {};
      for (const [k, g] of Object.entries(grads)) clipped[k] = tf.mul(g, scale);
      this.optimizer.applyGradients(clipped);
      return value;
    });
    const loss = lossTensor.dataSync()[0]!;
    lossTensor.dispose();
    return loss;
  }

  /** Writes the online network as a model directory, with its metadata. */
  async save(
    dir: string,
    meta: Omit<ModelMetadata, 'format' | 'formatVersion' | 'architecture' | 'stateDim' | 'heads'>,
  ): Promise<void> {
    await saveModel(this.tf, this.online, dir, {
      ...meta,
      stateDim: this.spec.stateDim,
      heads: this.spec.heads,
      architecture: architecture(this.spec),
    });
  }
}

export async function saveModel(
  tf: typeof TF,
  model: TF.LayersModel,
  dir: string,
  meta: Omit<ModelMetadata, 'format' | 'formatVersion'>,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      };
      await writeFile(join(dir, 'weights.bin'), Buffer.from(weightData));
      await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const metadata: ModelMetadata = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    ...meta,
  };
  await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata, null, 2) + '\n');
}
