import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { runLoop } from './loop.js';

const idle = () => new Promise((r) => setImmediate(r));

describe('runLoop', () => {
  it('runs a step, sleeps as long as it says, and stops at once when asked', async () => {
    const clock = new ManualClock(0);
    const times: number[] = [];
    const loop = runLoop(clock, () => {
      times.push(clock.now());
      return Promise.resolve(1000);
    });
    await idle();
    clock.advance(1000);
    await idle();
    clock.advance(999);
    await idle();
    expect(times).toEqual([0, 1000]);
    await loop.stop();
    expect(loop.signal.aborted).toBe(true);
    clock.advance(10_000);
    await idle();
    expect(times).toEqual([0, 1000]);
  });

  it('ends by itself when the step says it is done', async () => {
    const clock = new ManualClock(0);
    let rounds = 0;
    const loop = runLoop(clock, () => Promise.resolve(++rounds < 3 ? 10 : 'done'));
    for (let i = 0; i < 5; i++) {
      await idle();
      clock.advance(10);
    }
    await loop.done;
    expect(rounds).toBe(3);
  });
});
