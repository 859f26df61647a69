import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { LeaderElector, MemoryLeaseStore } from './leaderElector.js';

function pair() {
  const clock = new ManualClock(0);
  const store = new MemoryLeaseStore();
  const changes: string[] = [];
  const make = (identity: string) =>
    new LeaderElector({
      identity,
      store,
      clock,
      leaseDurationMs: 15_000,
      onChange: (leader) => changes.push(`${identity}:${leader}`),
    });
  return { clock, store, a: make('a'), b: make('b'), changes };
}

describe('LeaderElector', () => {
  it('lets exactly one of two candidates lead', async () => {
    const { a, b } = pair();
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(a.isLeader()).toBe(true);
    expect(b.isLeader()).toBe(false);
    expect(b.holder()).toBe('a');
  });

  it('keeps the lease while the leader renews, whatever the time', async () => {
    const { clock, a, b } = pair();
    await a.tryAcquireOrRenew();
    for (let i = 0; i < 20; i++) {
      clock.advance(2_000);
      expect(await a.tryAcquireOrRenew()).toBe(true);
      expect(await b.tryAcquireOrRenew()).toBe(false);
    }
  });

  it('lets a standby take over once the leader has been silent for the lease duration', async () => {
    const { clock, store, a, b, changes } = pair();
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    // The leader dies: nobody renews.
    clock.advance(10_000);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    // The old leader stops acting at its renew deadline, before anyone may take over.
    expect(a.isLeader()).toBe(false);
    clock.advance(5_001);
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect((await store.get())?.leaseTransitions).toBe(1);
    expect(changes).toEqual(['a:true', 'b:true']);
    // The old leader comes back and finds the lease taken.
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(changes).toEqual(['a:true', 'b:true', 'a:false']);
  });

  it('refuses a write based on a stale read', async () => {
    const store = new MemoryLeaseStore();
    const created = await store.create({ leaseDurationSeconds: 15, leaseTransitions: 0 });
    await store.update({ ...created, holderIdentity: 'x' });
    await expect(store.update({ ...created, holderIdentity: 'y' })).rejects.toThrow(
      'the Lease changed',
    );
  });

  it('releases the lease on stop so that a standby takes over at once', async () => {
    const { clock, a, b } = pair();
    a.start();
    await new Promise((r) => setImmediate(r));
    expect(a.isLeader()).toBe(true);
    await b.tryAcquireOrRenew();
    await a.stop();
    expect(a.isLeader()).toBe(false);
    // A released Lease has no holder: the standby takes it without waiting out the duration.
    clock.advance(100);
    expect(await b.tryAcquireOrRenew()).toBe(true);
  });
});
