/**
 * A recording ClusterClient for unit tests (after Karpenter's fake cloud provider): every call
 * to the wrapped client is recorded with its arguments, and a test can make the next call of a
 * method fail. Everything else is the wrapped client's (usually a SimCluster).
 */
import type { ClusterClient } from '../clusterClient.js';

type Method = {
  [K in keyof ClusterClient]: ClusterClient[K] extends (...args: never[]) => unknown ? K : never;
}[keyof ClusterClient];

export interface RecordedCall {
  method: Method;
  args: unknown[];
}

export class RecordingCluster {
  readonly calls: RecordedCall[] = [];
  readonly client: ClusterClient;
  private readonly errors = new Map<string, Error[]>();

  constructor(inner: ClusterClient) {
    this.client = new Proxy(inner, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          this.calls.push({ method: prop as Method, args });
          const queued = this.errors.get(String(prop));
          const next = queued?.shift();
          if (next) return Promise.reject(next);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** The next call of `method` fails with `error` (queued, one per call). */
  nextError(method: Method, error: Error): void {
    const list = this.errors.get(method) ?? [];
    list.push(error);
    this.errors.set(method, list);
  }

  /** The arguments of every call of `method`, in order. */
  callsTo(method: Method): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  reset(): void {
    this.calls.length = 0;
    this.errors.clear();
  }
}
