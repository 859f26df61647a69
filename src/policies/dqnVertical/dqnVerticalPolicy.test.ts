import { describe, expect, it } from 'vitest';
import { input, observation, pods } from '../testing/observations.js';
import { randomModel } from '../testing/randomModel.js';
import { DQN_VERTICAL_EXPECTATION, DqnVerticalPolicy } from './dqnVerticalPolicy.js';
import { MEMORY_PEAK_MARGIN, PEAK_HOUR_MS, PEAK_HOURS } from './vertical.js';

const MIB = 2 ** 20;
const MINUTE = 60_000;

/** One decision with every pod using `memoryMib`, at `timeMs`. */
function decideAt(policy: DqnVerticalPolicy, timeMs: number, memoryMib: number) {
  const o = observation(timeMs, pods(3, { cpu: 200, memory: memoryMib * MIB }), {
    memoryRequest: 256 * MIB,
  });
  return policy.decide(input(o));
}

describe('dqn-vertical keeps memory over the last day’s peak', () => {
  // Several random models: whatever the memory head chooses, the floor holds.
  for (const seed of [1, 2, 3, 4]) {
    it(`never asks less than 15 % over the busiest pod's peak of the day (model ${seed})`, () => {
      const policy = new DqnVerticalPolicy(randomModel(DQN_VERTICAL_EXPECTATION, seed));
      const t0 = 10 * PEAK_HOUR_MS;
      decideAt(policy, t0, 400);
      // Six quiet hours later the pods use a quarter of it; a burst would bring it back.
      const quiet = decideAt(policy, t0 + 6 * PEAK_HOUR_MS, 100);
      expect(quiet.memoryBytes.desired).toBeGreaterThanOrEqual(400 * MIB * MEMORY_PEAK_MARGIN);
      expect(quiet.explanation.factors).toContain('memory_day_peak');
      expect(quiet.explanation.reasoning).toMatch(/460 MiB, 15 % over the busiest pod's peak/);
    });
  }

  it('forgets a peak after a day', () => {
    const policy = new DqnVerticalPolicy(randomModel(DQN_VERTICAL_EXPECTATION, 1));
    const t0 = 10 * PEAK_HOUR_MS;
    decideAt(policy, t0, 900);
    // A decision every hour for a day at 100 MiB pushes the 900 MiB hour out.
    let last = decideAt(policy, t0 + PEAK_HOUR_MS, 100);
    for (let h = 2; h <= PEAK_HOURS; h++) last = decideAt(policy, t0 + h * PEAK_HOUR_MS, 100);
    expect(last.memoryBytes.desired).toBeLessThan(900 * MIB);
  });

  it('carries its peaks through an exported state (a restart, a new leader)', () => {
    const a = new DqnVerticalPolicy(randomModel(DQN_VERTICAL_EXPECTATION, 3));
    decideAt(a, 0, 600);
    const b = new DqnVerticalPolicy(randomModel(DQN_VERTICAL_EXPECTATION, 3));
    b.importState('default', 'web', JSON.parse(JSON.stringify(a.exportState('default', 'web'))));
    const d = decideAt(b, 30 * MINUTE, 100);
    expect(d.memoryBytes.desired).toBeGreaterThanOrEqual(600 * MIB * MEMORY_PEAK_MARGIN);
  });
});
