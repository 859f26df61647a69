/**
 * The record of every decision and what became of it. One interface, so that the API, the
 * controller and the actuator never know where records live; this file holds the in-memory
 * log (bounded), and the SQLite and PostgreSQL stores implement the same interface.
 */
import {
  CHANGE_OUTCOMES,
  type DecisionJournal,
  type DecisionOutcome,
  type DecisionRecord,
  type NewDecisionRecord,
  OPEN_OUTCOMES,
} from '../core/decision.js';
import { computeStats, type DecisionStats } from './decisionStats.js';

export type { DecisionOutcome, DecisionRecord, NewDecisionRecord } from '../core/decision.js';

export interface DecisionLog extends DecisionJournal {
  /** The most recent first. */
  recent(limit: number): Promise<DecisionRecord[]>;
  /** One record by id; undefined when there is none. */
  get(id: number): Promise<DecisionRecord | undefined>;
  /** Seed 002's statistics over every record the store keeps. */
  stats(): Promise<DecisionStats>;
  /**
   * Deletes up to `batch` of the oldest records made before `beforeMs` or older than the
   * newest `keep`, never one whose change is still open; how many it deleted. Retention is
   * the store's, not a cluster's: it prunes the records of every cluster.
   */
  prune(limits: RetentionLimits, batch: number): Promise<number>;
  /**
   * The same store seen from one cluster of the fleet (ADR 17): what it appends is that
   * cluster's, and it reads, settles and counts only that cluster's records. The log a store
   * opens is the home cluster's ('', the cluster `qpilot serve` was started with).
   */
  forCluster(clusterId: string): DecisionLog;
  /** Closes the store; a view of one cluster closes nothing (the store outlives it). */
  close(): Promise<void>;
}

export interface RetentionLimits {
  beforeMs: number;
  keep: number;
}

/** The records of every cluster, shared by the views of one in-memory log. */
interface Book {
  records: DecisionRecord[];
  byId: Map<number, DecisionRecord>;
  clusterOf: Map<number, string>;
  nextId: number;
  capacity: number;
}

export class MemoryDecisionLog implements DecisionLog {
  private readonly book: Book;

  constructor(
    capacity = 10_000,
    private readonly cluster = '',
    book?: Book,
  ) {
    this.book = book ?? {
      records: [],
      byId: new Map(),
      clusterOf: new Map(),
      nextId: 1,
      capacity,
    };
  }

  forCluster(clusterId: string): DecisionLog {
    return new MemoryDecisionLog(this.book.capacity, clusterId, this.book);
  }

  private mine(r: DecisionRecord | undefined): r is DecisionRecord {
    return r !== undefined && this.book.clusterOf.get(r.id) === this.cluster;
  }

  private all(): DecisionRecord[] {
    return this.book.records.filter((r) => this.mine(r));
  }

  append(record: NewDecisionRecord): Promise<DecisionRecord> {
    return Promise.resolve({ ...this.store(record) });
  }

  appendMany(records: readonly NewDecisionRecord[]): Promise<DecisionRecord[]> {
    return Promise.resolve(records.map((r) => ({ ...this.store(r) })));
  }

  private store(record: NewDecisionRecord): DecisionRecord {
    const b = this.book;
    const stored: DecisionRecord = { ...record, id: b.nextId++ };
    b.records.push(stored);
    b.byId.set(stored.id, stored);
    b.clusterOf.set(stored.id, this.cluster);
    // Past capacity, drop the oldest half at once: shifting one a record would copy them all.
    if (b.records.length > b.capacity) {
      const dropped = b.records.splice(0, Math.ceil(b.capacity / 2));
      for (const r of dropped) this.forget(r.id);
    }
    return stored;
  }

  private forget(id: number): void {
    this.book.byId.delete(id);
    this.book.clusterOf.delete(id);
  }

  discard(id: number): Promise<void> {
    const r = this.book.byId.get(id);
    if (this.mine(r) && r.outcome === 'pending') {
      this.forget(id);
      this.book.records.splice(this.book.records.indexOf(r), 1);
    }
    return Promise.resolve();
  }

  settle(id: number, outcome: DecisionOutcome, message: string, timeMs: number): Promise<void> {
    const r = this.book.byId.get(id);
    if (this.mine(r)) Object.assign(r, { outcome, message, settledMs: timeMs });
    return Promise.resolve();
  }

  unsettled(): Promise<DecisionRecord[]> {
    return Promise.resolve(
      this.all()
        .filter((r) => OPEN_OUTCOMES.includes(r.outcome))
        .map((r) => ({ ...r })),
    );
  }

  lastChanges(sinceMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const r of this.all()) {
      if (r.timeMs < sinceMs || !CHANGE_OUTCOMES.includes(r.outcome)) continue;
      // Removing an unhealthy pod is no scaling: it starts no cooldown.
      if (r.decision.kind === 'pod_deletion') continue;
      const key = `${r.namespace}/${r.workload}`;
      out.set(key, Math.max(out.get(key) ?? 0, r.timeMs));
    }
    return Promise.resolve(out);
  }

  recent(limit: number): Promise<DecisionRecord[]> {
    return Promise.resolve(
      this.all()
        .slice(-limit)
        .reverse()
        .map((r) => ({ ...r })),
    );
  }

  get(id: number): Promise<DecisionRecord | undefined> {
    const r = this.book.byId.get(id);
    return Promise.resolve(this.mine(r) ? { ...r } : undefined);
  }

  stats(): Promise<DecisionStats> {
    return Promise.resolve(computeStats(this.all()));
  }

  prune(limits: RetentionLimits, batch: number): Promise<number> {
    const records = this.book.records;
    const cutoff = records.length - limits.keep;
    const doomed = new Set<DecisionRecord>();
    for (let i = 0; i < records.length && doomed.size < batch; i++) {
      const r = records[i]!;
      if ((i < cutoff || r.timeMs < limits.beforeMs) && !OPEN_OUTCOMES.includes(r.outcome))
        doomed.add(r);
    }
    if (doomed.size === 0) return Promise.resolve(0);
    const kept = records.filter((r) => !doomed.has(r));
    records.length = 0;
    records.push(...kept);
    for (const r of doomed) this.forget(r.id);
    return Promise.resolve(doomed.size);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
