/**
 * withRetry(cluster): retries calls that failed for a passing reason — the API server
 * unreachable or overloaded (QP_ERR_UNAVAILABLE, QP_ERR_RATE_LIMITED) or a write conflict
 * (QP_ERR_CONFLICT) — with exponential back-off and full jitter, on the injected clock. A
 * decorator (ARCHITECTURE.md rule 4), so no implementation repeats the logic. Long-running
 * operations (verification, drain) are not retried as a whole: they poll, and each poll
 * goes through the retried methods.
 */
import type { Clock } from '../core/clock.js';
import { type ErrorCode, isQpError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { ClusterClient } from './clusterClient.js';

export interface RetryOptions {
  clock: Clock;
  rng: Rng;
  /** Attempts in all, the first included. */
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Told of every retry, for logs and metrics. */
  onRetry?: (method: string, attempt: number, error: Error, delayMs: number) => void;
}

export const RETRYABLE: readonly ErrorCode[] = [
  'QP_ERR_UNAVAILABLE',
  'QP_ERR_RATE_LIMITED',
  'QP_ERR_CONFLICT',
];

const NOT_RETRIED = new Set(['waitForWorkloadReady', 'drainNode', 'kind']);

export async function retrying<T>(
  method: string,
  call: () => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 5_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const retryable = isQpError(err) && RETRYABLE.includes(err.code);
      if (!retryable || attempt >= attempts) throw err;
      const delayMs = Math.round(options.rng.next() * Math.min(cap, base * 2 ** (attempt - 1)));
      options.onRetry?.(method, attempt, err, delayMs);
      await options.clock.sleep(delayMs);
    }
  }
}

export function withRetry<C extends ClusterClient>(cluster: C, options: RetryOptions): C {
  return new Proxy(cluster, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || NOT_RETRIED.has(prop)) {
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      }
      return (...args: unknown[]) =>
        retrying(
          prop,
          () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
          options,
        );
    },
  });
}
