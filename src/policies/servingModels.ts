/**
 * The models `qpilot serve` decides with, loaded once at start. A model that is missing or
 * fails its checks does not stop the server: its policy falls back to its baseline (the HPA for
 * replicas, the VPA for resources), and /health and
 * /model/info say so.
 */
import { join } from 'node:path';
import { isQpError } from '../core/errors.js';
import type { LoadedModel } from '../rl/modelFiles.js';
import { loadDqnModel } from './dqn/dqnPolicy.js';
import { loadDqnVerticalModel } from './dqnVertical/dqnVerticalPolicy.js';

export type LearnedPolicy = 'dqn' | 'dqn-vertical';

/** Who decides while a learned policy cannot: its baseline (see registry.ts). */
export const FALLBACK_POLICY: Record<LearnedPolicy, 'hpa' | 'vpa'> = {
  dqn: 'hpa',
  'dqn-vertical': 'vpa',
};

export interface ModelState {
  policy: LearnedPolicy;
  path: string;
  status: 'loaded' | 'unavailable';
  error?: string;
  model?: LoadedModel;
}

export type ServingModels = Record<LearnedPolicy, ModelState>;

async function attempt(policy: LearnedPolicy, path: string): Promise<ModelState> {
  try {
    const model = await (policy === 'dqn' ? loadDqnModel(path) : loadDqnVerticalModel(path));
    return { policy, path, status: 'loaded', model };
  } catch (err) {
    return {
      policy,
      path,
      status: 'unavailable',
      error: isQpError(err) ? err.message : String(err),
    };
  }
}

/** Loads models/dqn and models/dqn-vertical under `modelsDir`. */
export async function loadServingModels(modelsDir: string): Promise<ServingModels> {
  const [dqn, vertical] = await Promise.all([
    attempt('dqn', join(modelsDir, 'dqn')),
    attempt('dqn-vertical', join(modelsDir, 'dqn-vertical')),
  ]);
  return { dqn, 'dqn-vertical': vertical };
}
