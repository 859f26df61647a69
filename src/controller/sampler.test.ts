import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { MemorySampleStore, type Sample } from '../store/sampleStore.js';
import { MAX_PENDING, MetricsSampler } from './sampler.js';

/** Lets the sampler's loop take `n` samples at 200 ms. */
async function tick(clock: ManualClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
    clock.advance(200);
  }
  for (let k = 0; k < 5; k++) await new Promise((r) => setImmediate(r));
}

const probe = () =>
  Promise.resolve({
    namespace: 'default',
    workload: 'web',
    cpuPercent: 10,
    memoryMb: 100,
    onlinePods: 2,
    totalPods: 2,
  });

/** A sample store in memory that refuses every append while `outage.down`. */
function flakyStore(error: string) {
  const memory = new MemorySampleStore();
  const outage = { down: false };
  const store = {
    append: (series: string, samples: readonly Sample[]) =>
      outage.down ? Promise.reject(new Error(error)) : memory.append(series, samples),
    series: (series: string) => memory.series(series),
    prune: (beforeMs: number, batch: number) => memory.prune(beforeMs, batch),
  };
  return { memory, store, outage };
}

describe('the POST /metrics sampler', () => {
  it('counts only the samples the store took, keeps the rest while it is down, and stores them after', async () => {
    const clock = new ManualClock(0);
    const { memory, store, outage } = flakyStore('disk full');
    const sampler = new MetricsSampler({ clock, store, probe, flushEvery: 5 });
    await sampler.start('s', { namespace: 'default', deployment: 'web' });
    outage.down = true;
    await tick(clock, 12);
    const during = sampler.status('s')!;
    expect(during.samples).toBe(1);
    expect(during.pending).toBeGreaterThanOrEqual(10);
    expect(during.errors).toBeGreaterThan(0);
    expect(during.lastError).toBe('disk full');
    expect(await memory.series('s')).toHaveLength(1);
    outage.down = false;
    const stopped = await sampler.stop('s');
    const stored = await memory.series('s');
    expect(stopped.samples).toBe(stored.length);
    expect(stopped.pending).toBe(0);
    expect(stopped.lost).toBe(0);
    expect(stored.length).toBeGreaterThanOrEqual(11);
    // In the order they were taken.
    expect(stored.map((x) => x.timeMs)).toEqual(
      [...stored.map((x) => x.timeMs)].sort((a, b) => a - b),
    );
  });

  it('drops the oldest samples past what it can hold, and says how many', async () => {
    const clock = new ManualClock(0);
    const { memory, store, outage } = flakyStore('down');
    const sampler = new MetricsSampler({ clock, store, probe, flushEvery: 1000 });
    await sampler.start('s', { namespace: 'default', deployment: 'web' });
    outage.down = true;
    await tick(clock, MAX_PENDING + 1100);
    const during = sampler.status('s')!;
    expect(during.pending).toBeLessThanOrEqual(MAX_PENDING);
    expect(during.lost).toBeGreaterThan(0);
    outage.down = false;
    const stopped = await sampler.stop('s');
    expect(stopped.samples).toBe((await memory.series('s')).length);
  });
});
