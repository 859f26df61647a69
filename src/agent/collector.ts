/**
 * The agent's collector (seed 003's collector.py): every COLLECTION_INTERVAL, pod and node
 * usage from metrics.k8s.io, each node's capacity and allocatable, and the events seen since
 * the last round (from a watch, never re-listed), written to the outbox in batches of at most
 * BATCH_SIZE items of one kind. Items carry what the hub needs and nothing else, so memory and
 * traffic follow the cluster's size, not its objects' history.
 */
import type { ClusterClient } from '../cluster/clusterClient.js';
import { listAll } from '../cluster/clusterClient.js';
import type { Clock } from '../core/clock.js';
import type { Outbox } from './outbox.js';
import type { Component } from './supervisor.js';

export type IngestKind = 'pod_metrics' | 'node_metrics' | 'nodes' | 'events';
export type Item = Record<string, string | number | boolean | null>;

/** Events since the last call, from a watch (the agent's own, trimmed). */
export interface EventFeed {
  drain(): Item[];
}

export interface CollectorDeps {
  cluster: Pick<ClusterClient, 'podMetrics' | 'nodeMetrics' | 'listNodes'>;
  events?: EventFeed;
  outbox: Pick<Outbox<Item>, 'add'>;
  clock: Clock;
  intervalSec: () => number;
  batchSize: () => number;
  log?: (message: string) => void;
}

export interface Collected {
  pods: number;
  nodes: number;
  events: number;
  batches: number;
}

export class Collector implements Component {
  readonly name = 'collector';

  constructor(private readonly deps: CollectorDeps) {}

  /** One round: everything collected now, in the outbox. */
  async collectOnce(): Promise<Collected> {
    const { cluster, clock } = this.deps;
    const collectedAtMs = clock.now();
    const [pods, nodeUsage, nodes] = await Promise.all([
      cluster.podMetrics(),
      cluster.nodeMetrics(),
      listAll((o) => cluster.listNodes(o), { limit: 500 }),
    ]);
    const podItems: Item[] = pods.flatMap((p) =>
      p.containers.map((c) => ({
        namespace: p.metadata.namespace ?? '',
        pod: p.metadata.name,
        container: c.name,
        cpu: c.usage.cpu,
        memory: c.usage.memory,
        timestamp: String(p.timestamp ?? ''),
        window: String(p.window ?? ''),
      })),
    );
    const nodeUsageItems: Item[] = nodeUsage.map((n) => ({
      node: n.metadata.name,
      cpu: n.usage.cpu,
      memory: n.usage.memory,
    }));
    const nodeItems: Item[] = nodes.map((n) => ({
      node: n.metadata?.name ?? '',
      cpuCapacity: n.status?.capacity?.cpu ?? null,
      memoryCapacity: n.status?.capacity?.memory ?? null,
      podsCapacity: n.status?.capacity?.pods ?? null,
      cpuAllocatable: n.status?.allocatable?.cpu ?? null,
      memoryAllocatable: n.status?.allocatable?.memory ?? null,
      podsAllocatable: n.status?.allocatable?.pods ?? null,
      unschedulable: n.spec?.unschedulable ?? false,
      ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    }));
    const eventItems = this.deps.events?.drain() ?? [];
    let batches = 0;
    for (const [kind, items] of [
      ['pod_metrics', podItems],
      ['node_metrics', nodeUsageItems],
      ['nodes', nodeItems],
      ['events', eventItems],
    ] as [IngestKind, Item[]][])
      batches += await this.write(kind, items, collectedAtMs);
    const podCount = new Set(podItems.map((i) => `${String(i.namespace)}/${String(i.pod)}`)).size;
    this.deps.log?.(`Collected metrics for ${podCount} pods`);
    this.deps.log?.(`Collected metrics for ${nodeItems.length} nodes`);
    return { pods: podCount, nodes: nodeItems.length, events: eventItems.length, batches };
  }

  private async write(kind: IngestKind, items: Item[], collectedAtMs: number): Promise<number> {
    const size = Math.max(1, this.deps.batchSize());
    let n = 0;
    for (let i = 0; i < items.length; i += size) {
      await this.deps.outbox.add(items.slice(i, i + size), { kind, collectedAtMs });
      n++;
    }
    return n;
  }

  /** Rounds until stopped; a failed round throws, and the supervisor restarts the collector. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.collectOnce();
      try {
        await this.deps.clock.sleep(this.deps.intervalSec() * 1000, signal);
      } catch {
        return;
      }
    }
  }
}
