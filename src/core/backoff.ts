/**
 * Exponential backoff with jitter: each delay is half to all of the current step, and the step
 * doubles up to `maxMs`, so that clients broken together do not come back together.
 */
import type { Rng } from './rng.js';

export class Backoff {
  private stepMs: number;

  constructor(
    private readonly rng: Rng,
    private readonly firstMs: number,
    private readonly maxMs: number,
  ) {
    this.stepMs = firstMs;
  }

  /** The delay before the next attempt. */
  next(): number {
    const ms = this.stepMs * (0.5 + this.rng.next() / 2);
    this.stepMs = Math.min(this.maxMs, this.stepMs * 2);
    return ms;
  }

  /** An attempt succeeded: the next failure waits the first step again. */
  reset(): void {
    this.stepMs = this.firstMs;
  }
}
