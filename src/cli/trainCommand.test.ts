import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HORIZONTAL_ACTIONS, HORIZONTAL_FEATURES } from '../policies/dqn/horizontal.js';
import { loadDqnModel } from '../policies/dqn/dqnPolicy.js';
import { loadDqnVerticalModel } from '../policies/dqnVertical/dqnVerticalPolicy.js';
import type { CliIo } from './io.js';
import { runEvaluation } from './evaluateCommand.js';
import { runTraining } from './trainCommand.js';

const ROOT = join(import.meta.dirname, '..', '..');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { stdout: (s) => out.push(s), stderr: (s) => err.push(s), env: {}, cwd: ROOT };
  return { cli, out: () => out.join(''), err: () => err.join('') };
}

const tiny = { steps: '600', envs: '2', hidden: '8', checkpointEvery: '300' };

describe('qpilot train', () => {
  it('writes a loadable model with its metadata, checkpoints and a progress report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-train-'));
    const out = join(dir, 'dqn');
    const t = io();
    await runTraining({ ...tiny, policy: 'dqn', out, seed: '7' }, t.cli, () => Date.now());
    expect(t.err()).toMatch(
      /600\/600 steps \| episode \d+ \| return (-?\d+|-) \| loss [\d.]+ \| eps/,
    );
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual([
      'step-00000300',
      'step-00000600',
    ]);

    const model = await loadDqnModel(out);
    expect(model.metadata.policy).toBe('dqn');
    expect(model.metadata.stateFeatures).toEqual([...HORIZONTAL_FEATURES]);
    expect(model.metadata.heads).toEqual([{ name: 'replicas', actions: [...HORIZONTAL_ACTIONS] }]);
    const training = model.metadata.training;
    expect(training.seed).toBe('7');
    expect(training.traffic).toMatch(/synthetic/);
    expect((training.config as { steps: number }).steps).toBe(600);
    expect(training.finalProgress).toMatchObject({ steps: 600 });

    // The trained model drives an evaluation.
    const e = io();
    await runEvaluation(
      { trace: ['worldcup98'], policy: 'dqn', model: out, duration: '1h', json: true },
      e.cli,
    );
    const result = (JSON.parse(e.out()) as { traces: { results: { policy: string }[] }[] })
      .traces[0]!.results[0]!;
    expect(result.policy).toBe('dqn');
  });

  it('trains the same model again from the same seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-train-'));
    const flags = { ...tiny, steps: '400', policy: 'dqn-vertical', seed: 'same' };
    await runTraining({ ...flags, out: join(dir, 'a') }, io().cli, () => 0);
    await runTraining({ ...flags, out: join(dir, 'b') }, io().cli, () => 0);
    await runTraining({ ...flags, seed: 'other', out: join(dir, 'c') }, io().cli, () => 0);
    const weights = (name: string) => readFileSync(join(dir, name, 'weights.bin'));
    expect(weights('a').equals(weights('b'))).toBe(true);
    expect(weights('a').equals(weights('c'))).toBe(false);
    const vertical = await loadDqnVerticalModel(join(dir, 'a'));
    expect(vertical.metadata.heads.map((h) => h.name)).toEqual(['cpu', 'memory']);
  });

  it('names a bad option', async () => {
    await expect(runTraining({ policy: 'ppo' }, io().cli, () => 0)).rejects.toThrow(/--policy/);
    await expect(runTraining({ steps: '-5' }, io().cli, () => 0)).rejects.toThrow(/--steps/);
    await expect(runTraining({ hidden: '8,x' }, io().cli, () => 0)).rejects.toThrow(/--hidden/);
  });
});
