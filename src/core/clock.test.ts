import { describe, expect, it } from 'vitest';
import { ManualClock, RealClock, ScaledClock } from './clock.js';

describe('ManualClock', () => {
  it('fires sleepers in time order and only when advanced past them', async () => {
    const clock = new ManualClock(1000);
    const woke: string[] = [];
    const a = clock.sleep(500).then(() => woke.push(`a@${clock.now()}`));
    const b = clock.sleep(100).then(() => woke.push(`b@${clock.now()}`));
    clock.advance(99);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(1000);
    await Promise.all([a, b]);
    expect(woke).toEqual(['b@2099', 'a@2099']);
    expect(clock.now()).toBe(2099);
  });

  it('settles a promise that polls with sleep, without real waiting', async () => {
    const clock = new ManualClock(0);
    const poll = async () => {
      let n = 0;
      while (clock.now() < 60_000) {
        await clock.sleep(5_000);
        n++;
      }
      return n;
    };
    await expect(clock.settle(poll())).resolves.toBe(12);
    expect(clock.now()).toBe(60_000);
  });

  it('reports a deadlock instead of hanging', async () => {
    const clock = new ManualClock(0);
    const never = new Promise<void>(() => undefined);
    await expect(clock.settle(never)).rejects.toThrow(/no timer can wake it/);
  });

  it('rejects an aborted sleep and forgets its timer', async () => {
    const clock = new ManualClock(0);
    const ctl = new AbortController();
    const p = clock.sleep(1000, ctl.signal);
    ctl.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses to go backwards', () => {
    const clock = new ManualClock(10);
    expect(() => clock.advanceTo(5)).toThrow(/backwards/);
  });
});

describe('ScaledClock', () => {
  it('runs faster than its base clock', async () => {
    const base = new ManualClock(0);
    const clock = new ScaledClock(60, 1_000_000, base);
    base.advance(1000);
    expect(clock.now()).toBe(1_060_000);
    const woke = clock.sleep(60_000);
    base.advance(1000);
    await woke;
  });

  it('rejects a non-positive speed', () => {
    expect(() => new ScaledClock(0, 0)).toThrow(/speed/);
  });
});

describe('RealClock', () => {
  it('sleeps in real time and can be aborted', async () => {
    const clock = new RealClock();
    const start = clock.now();
    await clock.sleep(5);
    expect(clock.now() - start).toBeGreaterThanOrEqual(4);
    const ctl = new AbortController();
    const p = clock.sleep(10_000, ctl.signal);
    ctl.abort();
    await expect(p).rejects.toBeDefined();
  });
});
