/**
 * Seed 004's `POST /metrics` sampler: every 0.2 s, the target Deployment's CPU %, memory,
 * online and total pods, recorded under a series name. Samples are buffered and written in
 * batches (a database round trip per 0.2 s sample would cost more than the sampling); a
 * series stops when asked, or by itself after `maxDurationMs`, so that a forgotten sampler
 * cannot fill the disk.
 */
import type { Clock } from '../core/clock.js';
import { QpError } from '../core/errors.js';
import { type Loop, runLoop } from '../core/loop.js';
import type { Sample, SampleStore } from '../store/sampleStore.js';

/** Samples kept while the store refuses them: 10 minutes at 0.2 s. */
export const MAX_PENDING = 3_000;

export interface SamplerTarget {
  namespace: string;
  deployment: string;
}

export interface SeriesStatus {
  series: string;
  namespace: string;
  deployment: string;
  running: boolean;
  intervalMs: number;
  /** Samples the store has taken: never one that is only buffered. */
  samples: number;
  /** Samples taken and not yet stored (buffered, or waiting for the store to come back). */
  pending: number;
  /** Samples dropped because the store refused them for longer than the buffer holds. */
  lost: number;
  startedMs: number;
  stoppedMs?: number;
  errors: number;
  lastError?: string;
}

interface Running {
  status: SeriesStatus;
  loop: Loop;
  /** The loop's end and the last samples stored. */
  done: Promise<void>;
}

export interface SamplerOptions {
  clock: Clock;
  store: SampleStore;
  probe: (target: SamplerTarget) => Promise<Omit<Sample, 'timeMs'>>;
  flushEvery?: number;
  maxDurationMs?: number;
  maxRunning?: number;
}

export class MetricsSampler {
  private readonly running = new Map<string, Running>();
  private readonly finished = new Map<string, SeriesStatus>();

  constructor(private readonly options: SamplerOptions) {}

  /**
   * Starts a series with its first sample, written before this resolves: a store that cannot
   * take samples refuses the series now (a 503) rather than lose every sample of it later.
   */
  async start(series: string, target: SamplerTarget, intervalMs = 200): Promise<SeriesStatus> {
    if (this.running.has(series))
      throw new QpError('QP_ERR_CONFLICT', `series "${series}" is being recorded already`);
    const max = this.options.maxRunning ?? 4;
    if (this.running.size >= max)
      throw new QpError('QP_ERR_CONFLICT', `${max} series are being recorded; stop one first`);
    const { clock, store, probe } = this.options;
    const first = { timeMs: clock.now(), ...(await probe(target)) };
    await store.append(series, [first]);
    if (this.running.has(series))
      throw new QpError('QP_ERR_CONFLICT', `series "${series}" is being recorded already`);
    const status: SeriesStatus = {
      series,
      ...target,
      running: true,
      intervalMs,
      samples: 1,
      pending: 0,
      lost: 0,
      startedMs: first.timeMs,
      errors: 0,
    };
    const flushEvery = this.options.flushEvery ?? 5;
    const deadline = status.startedMs + (this.options.maxDurationMs ?? 3_600_000);
    const failed = (err: unknown) => {
      status.errors++;
      status.lastError = err instanceof Error ? err.message : String(err);
    };
    let buffer: Sample[] = [];
    const flush = async () => {
      if (buffer.length === 0) return;
      const batch = buffer;
      buffer = [];
      try {
        await store.append(series, batch);
        status.samples += batch.length;
      } catch (err) {
        // Kept for the next flush, up to MAX_PENDING: a store that is down for a while loses
        // the oldest samples, and says how many.
        buffer = batch.concat(buffer);
        const excess = buffer.length - MAX_PENDING;
        if (excess > 0) {
          buffer.splice(0, excess);
          status.lost += excess;
        }
        throw err;
      } finally {
        status.pending = buffer.length;
      }
    };
    let skipFirst = true;
    const loop = runLoop(clock, async () => {
      // The first sample was taken when the series started.
      if (skipFirst) {
        skipFirst = false;
        return intervalMs;
      }
      if (clock.now() >= deadline) return 'done';
      const started = clock.now();
      try {
        buffer.push({ timeMs: started, ...(await probe(target)) });
        status.pending = buffer.length;
        if (buffer.length >= flushEvery) await flush();
      } catch (err) {
        failed(err);
      }
      return Math.max(0, intervalMs - (clock.now() - started));
    });
    const done = loop.done.then(async () => {
      await flush().catch(failed);
      status.running = false;
      status.stoppedMs = clock.now();
      this.running.delete(series);
      this.finished.set(series, status);
    });
    this.finished.delete(series);
    this.running.set(series, { status, loop, done });
    return status;
  }

  /** Stops a series and resolves once its last samples are stored. */
  async stop(series: string): Promise<SeriesStatus> {
    const r = this.running.get(series);
    if (!r) {
      const done = this.finished.get(series);
      if (done) return done;
      throw new QpError('QP_ERR_NOT_FOUND', `series "${series}" is not being recorded`);
    }
    await r.loop.stop();
    await r.done;
    return r.status;
  }

  status(series: string): SeriesStatus | undefined {
    return this.running.get(series)?.status ?? this.finished.get(series);
  }

  list(): SeriesStatus[] {
    return [...this.running.values()].map((r) => r.status).concat([...this.finished.values()]);
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((s) => this.stop(s)));
  }
}
