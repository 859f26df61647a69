/**
 * Cluster events for the agent's collector, from a watch (never re-listed): each event added
 * or updated is kept, trimmed to what the hub reads, until the collector drains them. Bounded:
 * past `maxEvents` the oldest are dropped and counted, so that an event storm during an outage
 * cannot grow the agent's memory.
 */
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { kubeApiConfiguration } from './kubeCluster.js';
import { WatchedList } from './watchedList.js';

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
  private readonly watched: WatchedList<CoreV1Event>;
  private pending: EventItem[] = [];
  /** Events dropped because the collector had not drained them in time. */
  dropped = 0;

  constructor(
    kc: KubeConfig,
    options: { requestTimeoutMs: number; maxEvents?: number; onError?: (err: unknown) => void },
  ) {
    const core = new CoreV1Api(
      kubeApiConfiguration(kc, Math.max(60_000, options.requestTimeoutMs)),
    );
    const max = options.maxEvents ?? 10_000;
    this.watched = new WatchedList<CoreV1Event>(kc, {
      path: '/api/v1/events',
      list: () => core.listEventForAllNamespaces(),
      onError: options.onError,
      onUpsert: (e) => {
        this.pending.push(eventItem(e));
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
    return this.watched.start();
  }

  stop(): Promise<void> {
    return this.watched.stop();
  }
}
