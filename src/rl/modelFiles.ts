/**
 * A model directory: TensorFlow.js's layers-model files (model.json and weights.bin, so that
 * TensorFlow.js can load it to train further) and qpilot's metadata.json (what the network
 * sees and does, and how it was trained). Reading it needs no TensorFlow.js: the weights go
 * straight into the plain-JavaScript forward pass, after every check a corrupt or mismatched
 * model could fail.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QpError } from '../core/errors.js';
import { type Activation, type DenseLayer, Mlp } from './mlp.js';

export const MODEL_FORMAT = 'qpilot-dqn-model';
export const MODEL_FORMAT_VERSION = 1;

export interface LayerSpec {
  name: string;
  units: number;
  activation: Activation;
}

export interface HeadSpec {
  name: string;
  actions: string[];
}

export interface ModelMetadata {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  policy: string;
  modelType: string;
  stateDim: number;
  stateFeatures: string[];
  heads: HeadSpec[];
  architecture: { trunk: LayerSpec[]; heads: Record<string, LayerSpec[]> };
  training: Record<string, unknown>;
  createdAt: string;
  qpilotVersion: string;
}

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
}

export interface LoadedModel {
  dir: string;
  metadata: ModelMetadata;
  mlp: Mlp;
}

export interface ModelExpectation {
  policy: string;
  stateFeatures: readonly string[];
  heads: readonly { name: string; actions: readonly string[] }[];
}

const invalid = (dir: string, why: string) =>
  new QpError('QP_ERR_MODEL_INVALID', `model ${dir}: ${why}`, { dir });

async function readJson(dir: string, file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(join(dir, file), 'utf8');
  } catch (err) {
    throw invalid(
      dir,
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(dir, `${file} is not valid JSON (${(err as Error).message})`);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Reads, checks and builds a model; every way it can be wrong is a QP_ERR_MODEL_INVALID naming it. */
export async function loadModel(dir: string, expected: ModelExpectation): Promise<LoadedModel> {
  const metadata = (await readJson(dir, 'metadata.json')) as Partial<ModelMetadata>;
  if (metadata.format !== MODEL_FORMAT)
    throw invalid(dir, `metadata.json is not a qpilot model (format "${String(metadata.format)}")`);
  if (metadata.formatVersion !== MODEL_FORMAT_VERSION)
    throw invalid(
      dir,
      `format version ${String(metadata.formatVersion)} is not ${MODEL_FORMAT_VERSION}`,
    );
  if (metadata.policy !== expected.policy)
    throw invalid(dir, `it is a "${String(metadata.policy)}" model, not "${expected.policy}"`);
  if (
    !Array.isArray(metadata.stateFeatures) ||
    !sameList(metadata.stateFeatures, expected.stateFeatures)
  ) {
    throw invalid(
      dir,
      `it was trained on other state features (${metadata.stateFeatures?.length ?? 0} instead of ${expected.stateFeatures.length}); train it again with this qpilot`,
    );
  }
  for (const head of expected.heads) {
    const got = metadata.heads?.find((h) => h.name === head.name);
    if (!got || !sameList(got.actions, head.actions))
      throw invalid(dir, `its "${head.name}" actions differ from this qpilot's`);
  }
  const topology = (await readJson(dir, 'model.json')) as {
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  };
  const manifest = topology.weightsManifest?.[0];
  if (!manifest || manifest.paths.length !== 1)
    throw invalid(dir, 'model.json has no single weights file');
  let buffer: Buffer;
  try {
    buffer = await readFile(join(dir, manifest.paths[0]!));
  } catch (err) {
    throw invalid(
      dir,
      `cannot read ${manifest.paths[0]} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const floats = new Float32Array(
    buffer.buffer.slice(
      buffer.byteOffset,
      buffer.byteOffset + buffer.byteLength - (buffer.byteLength % 4),
    ),
  );
  const byName = new Map<string, Float32Array>();
  let offset = 0;
  for (const w of manifest.weights) {
    if (w.dtype !== 'float32') throw invalid(dir, `weight ${w.name} is ${w.dtype}, not float32`);
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (offset + size > floats.length)
      throw invalid(dir, `${manifest.paths[0]} is shorter than model.json says (truncated?)`);
    byName.set(w.name, floats.subarray(offset, offset + size));
    offset += size;
  }
  if (offset * 4 !== buffer.byteLength)
    throw invalid(
      dir,
      `${manifest.paths[0]} has ${buffer.byteLength} bytes, model.json describes ${offset * 4}`,
    );
  const arch = metadata.architecture;
  if (!arch) throw invalid(dir, 'metadata.json has no architecture');
  const layer = (spec: LayerSpec, inputs: number): DenseLayer => {
    const kernel = [...byName.entries()].find(([n]) => n.startsWith(`${spec.name}/kernel`))?.[1];
    const bias = [...byName.entries()].find(([n]) => n.startsWith(`${spec.name}/bias`))?.[1];
    if (!kernel || !bias) throw invalid(dir, `weights of layer ${spec.name} are missing`);
    if (kernel.length !== inputs * spec.units || bias.length !== spec.units)
      throw invalid(dir, `layer ${spec.name} has weights of the wrong shape`);
    return { kernel, bias, inputs, outputs: spec.units, activation: spec.activation };
  };
  let width = expected.stateFeatures.length;
  const trunk = arch.trunk.map((s) => {
    const l = layer(s, width);
    width = s.units;
    return l;
  });
  const heads = expected.heads.map((head) => {
    let w = width;
    const specs = arch.heads[head.name];
    if (!specs || specs.length === 0) throw invalid(dir, `head "${head.name}" has no layers`);
    const layers = specs.map((s) => {
      const l = layer(s, w);
      w = s.units;
      return l;
    });
    if (w !== head.actions.length)
      throw invalid(dir, `head "${head.name}" has ${w} outputs for ${head.actions.length} actions`);
    return layers;
  });
  let mlp: Mlp;
  try {
    mlp = new Mlp({ trunk, heads });
  } catch (err) {
    throw invalid(dir, (err as Error).message);
  }
  if (!mlp.isFinite()) throw invalid(dir, 'weights contain NaN or infinite values');
  return { dir, metadata: metadata as ModelMetadata, mlp };
}
