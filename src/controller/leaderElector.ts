/**
 * Leader election over a coordination.k8s.io Lease, the way client-go's leaderelection does
 * it: the holder renews the Lease every `retryPeriodMs`; another instance takes it over only
 * after it has seen the same record unchanged for `leaseDurationMs` (measured on its own clock,
 * so that clock skew between nodes does not matter); writes carry the resourceVersion they
 * read, so two candidates cannot both win. A leader that has not renewed within
 * `renewDeadlineMs` stops acting before anyone else may start.
 */
import type { Clock } from '../core/clock.js';
import { type Loop, runLoop } from '../core/loop.js';
import { isQpError, QpError } from '../core/errors.js';
import type { LeaseRecord, LeaseStore } from '../cluster/leases.js';
import type { Leadership } from './scalingService.js';

export type { LeaseRecord, LeaseStore } from '../cluster/leases.js';

export interface ElectorOptions {
  identity: string;
  store: LeaseStore;
  clock: Clock;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onChange?: (leader: boolean, holder: string | undefined) => void;
  onError?: (err: unknown) => void;
}

export class LeaderElector implements Leadership {
  private lastRenewMs = -Infinity;
  private observed?: { key: string; sinceMs: number };
  private currentHolder?: string;
  private leading = false;
  private loop?: Loop;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(private readonly o: ElectorOptions) {
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? (this.leaseDurationMs * 2) / 3;
    this.retryPeriodMs = o.retryPeriodMs ?? this.leaseDurationMs / 7.5;
  }

  isLeader(): boolean {
    return this.leading && this.o.clock.now() - this.lastRenewMs < this.renewDeadlineMs;
  }

  holder(): string | undefined {
    return this.isLeader() ? this.o.identity : this.currentHolder;
  }

  /** One attempt to acquire or renew; returns whether this instance leads afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { store, clock, identity } = this.o;
    const now = clock.now();
    const mine = (r: Partial<LeaseRecord>): LeaseRecord => ({
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
      acquireTimeMs: r.acquireTimeMs ?? now,
      renewTimeMs: now,
      leaseTransitions: r.leaseTransitions ?? 0,
      resourceVersion: r.resourceVersion,
    });
    try {
      const current = await store.get();
      if (!current) {
        await store.create(mine({}));
        return this.won(now, identity);
      }
      const key = `${current.holderIdentity ?? ''}|${current.renewTimeMs ?? ''}|${current.resourceVersion ?? ''}`;
      if (this.observed?.key !== key) this.observed = { key, sinceMs: now };
      this.currentHolder = current.holderIdentity || undefined;
      if (current.holderIdentity === identity) {
        await store.update(mine(current));
        return this.won(now, identity);
      }
      const held = Boolean(current.holderIdentity);
      const durationMs = current.leaseDurationSeconds * 1000;
      if (held && now - this.observed.sinceMs < durationMs) return this.lost();
      await store.update(
        mine({
          resourceVersion: current.resourceVersion,
          leaseTransitions: current.leaseTransitions + 1,
        }),
      );
      return this.won(now, identity);
    } catch (err) {
      if (!isQpError(err, 'QP_ERR_CONFLICT')) this.o.onError?.(err);
      return this.lost();
    }
  }

  private won(now: number, identity: string): boolean {
    this.lastRenewMs = now;
    this.currentHolder = identity;
    this.setLeading(true);
    return true;
  }

  private lost(): boolean {
    // A leader keeps acting until its renew deadline passes; then it stands down.
    if (this.leading && !this.isLeader()) this.setLeading(false);
    return this.isLeader();
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.o.onChange?.(leading, this.currentHolder);
  }

  start(): void {
    if (this.loop) return;
    this.loop = runLoop(this.o.clock, async () => {
      await this.tryAcquireOrRenew();
      return this.retryPeriodMs;
    });
  }

  /** Stops campaigning; a leader releases the Lease so that a standby takes over at once. */
  async stop(): Promise<void> {
    const loop = this.loop;
    if (!loop) return;
    this.loop = undefined;
    await loop.stop();
    if (!this.isLeader()) return;
    this.setLeading(false);
    try {
      const current = await this.o.store.get();
      if (current?.holderIdentity === this.o.identity)
        await this.o.store.update({
          ...current,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          renewTimeMs: this.o.clock.now(),
        });
    } catch (err) {
      this.o.onError?.(err);
    }
  }
}

/** A Lease kept in memory, with the API server's optimistic concurrency, for tests and a lone instance. */
export class MemoryLeaseStore implements LeaseStore {
  private record?: LeaseRecord;
  private version = 0;

  get(): Promise<LeaseRecord | undefined> {
    return Promise.resolve(this.record && { ...this.record });
  }

  create(record: LeaseRecord): Promise<LeaseRecord> {
    if (this.record) return Promise.reject(conflict());
    this.record = { ...record, resourceVersion: String(++this.version) };
    return Promise.resolve({ ...this.record });
  }

  update(record: LeaseRecord): Promise<LeaseRecord> {
    if (!this.record || record.resourceVersion !== this.record.resourceVersion)
      return Promise.reject(conflict());
    this.record = { ...record, resourceVersion: String(++this.version) };
    return Promise.resolve({ ...this.record });
  }
}

function conflict(): Error {
  return new QpError('QP_ERR_CONFLICT', 'the Lease changed since it was read');
}
