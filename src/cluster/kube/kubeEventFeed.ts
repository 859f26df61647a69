/**
 * Cluster events for the agent's collector, from a watch (never re-listed but after a 410):
 * each event added or updated is kept, trimmed to what the hub reads, until the collector
 * drains them, and nothing else is kept (a WatchStream, not an informer: the events of 5,000
 * pods were most of the agent's memory). Bounded: past `maxEvents` the oldest are dropped and
 * counted, so that an event storm during an outage cannot grow the agent's memory.
 */
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { kubeApiConfiguration } from './kubeCluster.js';
import { WatchStream } from './watchStream.js';

export type EventItem = Record<string, string | number | null>;

export function eventItem(e: CoreV1Event): EventItem {
  const time = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
  return {
    namespace: e.metadata?.namespace ?? '',
    name: e.metadata?.name ?? '',
    kind: e.involvedObject?.kind ?? '',
    object: e.involvedObject?.name ?? '',
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: (e.message ?? '').slice(0, 1024),
    count: e.count ?? 1,
    time: time === undefined ? null : new Date(time).toISOString(),
  };
}

export class KubeEventFeed {
  private readonly stream: WatchStream<CoreV1Event>;
  private pending: EventItem[] = [];
  /** The newest event time forwarded, so that a listing after a 410 repeats none older. */
  private newestMs = -Infinity;
  /** Events dropped because the collector had not drained them in time. */
  dropped = 0;

  constructor(
    kc: KubeConfig,
    options: {
      requestTimeoutMs: number;
      maxEvents?: number;
      pageSize?: number;
      onError?: (err: unknown) => void;
    },
  ) {
    const core = new CoreV1Api(
      kubeApiConfiguration(kc, Math.max(60_000, options.requestTimeoutMs)),
    );
    const max = options.maxEvents ?? 10_000;
    this.stream = new WatchStream<CoreV1Event>(kc, {
      path: '/api/v1/events',
      list: (page) =>
        core.listEventForAllNamespaces({ limit: page.limit, _continue: page.continue }),
      pageSize: options.pageSize,
      onError: options.onError,
      onUpsert: (e, relisted) => {
        const item = eventItem(e);
        const timeMs = typeof item.time === 'string' ? Date.parse(item.time) : -Infinity;
        // Relisted after the watch fell behind: only what the watch has not forwarded yet (at
        // the newest second, repeated rather than lost).
        if (relisted && timeMs < this.newestMs) return;
        this.newestMs = Math.max(this.newestMs, timeMs);
        this.pending.push(item);
        if (this.pending.length > max) {
          this.pending.shift();
          this.dropped++;
        }
      },
    });
  }

  drain(): EventItem[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }

  start(): Promise<void> {
    return this.stream.start();
  }

  stop(): Promise<void> {
    return this.stream.stop();
  }
}
