import { describe, expect, it } from 'vitest';
import { VERTICAL_FEATURES } from '../policies/dqnVertical/vertical.js';
import { makeEnvRng } from './horizontalEnv.js';
import { DEFAULT_VERTICAL_ENV, VerticalEnv } from './verticalEnv.js';

const DECREASE = 0;
const MAINTAIN = 1;
const INCREASE = 2;
const options = { ...DEFAULT_VERTICAL_ENV, episodeSteps: 80 };

async function episode(cpu: number, memory: number, seed = 1) {
  const env = new VerticalEnv(makeEnvRng(seed, 0), options);
  const first = await env.reset();
  const cpuRewards: number[] = [];
  const memoryRewards: number[] = [];
  let cost = 0;
  for (;;) {
    const r = await env.step([cpu, memory]);
    expect(r.next).toHaveLength(VERTICAL_FEATURES.length);
    cpuRewards.push(r.rewards[0]!);
    memoryRewards.push(r.rewards[1]!);
    cost += r.costRatio;
    if (r.done) break;
  }
  return { first, cpuRewards, memoryRewards, cost };
}

describe('VerticalEnv', () => {
  it('rewards each head for its own resource', async () => {
    const hold = await episode(MAINTAIN, MAINTAIN);
    const grow = await episode(INCREASE, MAINTAIN);
    const starve = await episode(MAINTAIN, DECREASE);
    expect(hold.first).toHaveLength(VERTICAL_FEATURES.length);
    expect(hold.cpuRewards).toHaveLength(options.episodeSteps);
    // More CPU than the load needs costs the CPU head; the memory head hardly notices (faster
    // pods hold fewer requests in flight, so they use a little less memory).
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(grow.cost).toBeGreaterThan(hold.cost * 1.5);
    expect(sum(grow.cpuRewards)).toBeLessThan(sum(hold.cpuRewards));
    expect(sum(grow.memoryRewards) / sum(hold.memoryRewards)).toBeCloseTo(1, 1);
    // Memory requested and unused costs the memory head; cutting it pays until the cluster
    // refuses to shrink a limit below what the pods use (as the kubelet does).
    expect(sum(starve.memoryRewards)).toBeGreaterThan(sum(hold.memoryRewards) * 0.8);
    expect(Math.min(...starve.memoryRewards)).toBeGreaterThan(-options.oomPenalty);
  });

  it('is deterministic for a seed', async () => {
    const a = await episode(INCREASE, DECREASE, 5);
    const b = await episode(INCREASE, DECREASE, 5);
    expect(a.cpuRewards).toEqual(b.cpuRewards);
    expect(a.memoryRewards).toEqual(b.memoryRewards);
  });
});
