import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { type Component, Supervisor } from './supervisor.js';

const tick = () => new Promise((r) => setImmediate(r));

/** Runs until aborted. */
const steady = (name: string): Component => ({
  name,
  run: (signal) =>
    new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    ),
});

describe('the agent supervisor', () => {
  it('restarts a component that crashes, backing off, and reports it', async () => {
    const clock = new ManualClock(0);
    const failures: [string, number][] = [];
    const s = new Supervisor(clock, (name, _err, inMs) => failures.push([name, inMs]));
    let runs = 0;
    const flaky: Component = {
      name: 'collector',
      run: async (signal) => {
        runs++;
        if (runs <= 2) throw new Error(`crash ${runs}`);
        await steady('x').run(signal);
      },
    };
    s.start([flaky, steady('heartbeat')]);
    await tick();
    expect(s.health().collector).toMatchObject({
      health: 'restarting',
      restarts: 1,
      lastError: 'crash 1',
    });
    expect(s.healthy()).toBe(false);
    clock.advance(1000);
    await tick();
    await tick();
    expect(s.health().collector).toMatchObject({ restarts: 2, lastError: 'crash 2' });
    clock.advance(2000); // the backoff doubled
    await tick();
    expect(s.health().collector?.health).toBe('ok');
    expect(s.healthy()).toBe(true);
    expect(failures).toEqual([
      ['collector', 1000],
      ['collector', 2000],
    ]);
    expect(s.restarts()).toBe(2);
    await s.stop();
    expect(s.health()).toMatchObject({
      collector: { health: 'stopped' },
      heartbeat: { health: 'stopped' },
    });
  });

  it('counts a component that returns on its own as failed', async () => {
    const clock = new ManualClock(0);
    const s = new Supervisor(clock);
    s.start([{ name: 'quitter', run: () => Promise.resolve() }]);
    await tick();
    expect(s.health().quitter).toMatchObject({
      health: 'restarting',
      lastError: 'quitter stopped on its own',
    });
    await s.stop();
  });
});
