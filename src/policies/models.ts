/** Where learned policies' models live, and loading each once. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadedModel } from '../rl/modelFiles.js';
import { loadDqnModel } from './dqn/dqnPolicy.js';
import { loadDqnVerticalModel } from './dqnVertical/dqnVerticalPolicy.js';

/** The models shipped with qpilot (models/ in the package). */
export const BUNDLED_MODELS_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'models',
);

export function defaultModelDir(policy: 'dqn' | 'dqn-vertical'): string {
  return join(BUNDLED_MODELS_DIR, policy);
}

export class ModelCache {
  private readonly cache = new Map<string, Promise<LoadedModel>>();

  constructor(private readonly overrides: Partial<Record<'dqn' | 'dqn-vertical', string>> = {}) {}

  load(policy: 'dqn' | 'dqn-vertical', dir?: string): Promise<LoadedModel> {
    const path = resolve(dir ?? this.overrides[policy] ?? defaultModelDir(policy));
    const key = `${policy}:${path}`;
    let p = this.cache.get(key);
    if (!p) {
      p = policy === 'dqn' ? loadDqnModel(path) : loadDqnVerticalModel(path);
      this.cache.set(key, p);
    }
    return p;
  }
}
