/**
 * Time is injected (ARCHITECTURE.md rule 1): domain code asks a Clock, never `Date.now` or
 * `setTimeout`, so simulations and tests run faster than real time and replay exactly.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, in this clock's time. */
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects with the signal's reason if aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The error an aborted signal stands for (its reason, made an Error). */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : new Error(typeof reason === 'string' ? reason : 'aborted');
}

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * Real time, sped up: one real millisecond is `speed` milliseconds of this clock. The demo
 * scenario uses it so that a day of traffic can be watched in minutes.
 */
export class ScaledClock implements Clock {
  private readonly realStartMs: number;

  constructor(
    private readonly speed: number,
    private readonly startMs: number,
    private readonly base: Clock = new RealClock(),
  ) {
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new RangeError(`speed must be > 0, got ${speed}`);
    this.realStartMs = base.now();
  }

  now(): number {
    return this.startMs + (this.base.now() - this.realStartMs) * this.speed;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.base.sleep(ms / this.speed, signal);
  }
}

interface Timer {
  atMs: number;
  seq: number;
  resolve: () => void;
}

/**
 * A clock that only moves when told to. `advance` fires due sleepers in time order;
 * `settle` drives time forward until a promise resolves, which is how tests wait for
 * verification loops and drains without waiting in real time.
 */
export class ManualClock implements Clock {
  private nowMs: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(abortReason(signal!));
      };
      const timer: Timer = {
        atMs: this.nowMs + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          // A loop that sleeps with one signal many times must not pile up listeners.
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The time of the earliest pending sleeper, if any. */
  nextTimerAt(): number | undefined {
    let next: number | undefined;
    for (const t of this.timers) if (next === undefined || t.atMs < next) next = t.atMs;
    return next;
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot advance by ${ms} ms`);
    this.advanceTo(this.nowMs + ms);
  }

  advanceTo(targetMs: number): void {
    if (targetMs < this.nowMs) throw new RangeError('a ManualClock cannot go backwards');
    for (;;) {
      const due = this.timers
        .filter((t) => t.atMs <= targetMs)
        .sort((a, b) => a.atMs - b.atMs || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.atMs);
      due.resolve();
    }
    this.nowMs = targetMs;
  }

  /**
   * Awaits `promise`, advancing time to each next sleeper whenever the program is idle.
   * Fails if the promise is still pending after `limitMs` of clock time or nothing is left
   * to wake it (a deadlock in the code under test).
   */
  async settle<T>(promise: Promise<T>, limitMs = 24 * 3600_000): Promise<T> {
    let done = false;
    promise.then(
      () => (done = true),
      () => (done = true),
    );
    const deadline = this.nowMs + limitMs;
    let idleRounds = 0;
    while (!done) {
      await new Promise<void>((r) => setImmediate(r));
      if (done) break;
      const next = this.nextTimerAt();
      if (next === undefined) {
        // Give real I/O (a file, a socket) a few turns before calling it a deadlock.
        if (++idleRounds > 50)
          throw new Error('ManualClock.settle: the promise is pending and no timer can wake it');
        continue;
      }
      idleRounds = 0;
      if (next > deadline)
        throw new Error(`ManualClock.settle: still pending after ${limitMs} ms of clock time`);
      this.advanceTo(next);
    }
    return promise;
  }
}
