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
   * newest `keep`, never one whose change is still open; how many it deleted.
   */
  prune(limits: RetentionLimits, batch: number): Promise<number>;
  close(): Promise<void>;
}

export interface RetentionLimits {
  beforeMs: number;
  keep: number;
}

export class MemoryDecisionLog implements DecisionLog {
  private readonly records: DecisionRecord[] = [];
  private readonly byId = new Map<number, DecisionRecord>();
  private nextId = 1;

  constructor(private readonly capacity = 10_000) {}

  append(record: NewDecisionRecord): Promise<DecisionRecord> {
    return Promise.resolve({ ...this.store(record) });
  }

  appendMany(records: readonly NewDecisionRecord[]): Promise<DecisionRecord[]> {
    return Promise.resolve(records.map((r) => ({ ...this.store(r) })));
  }

  private store(record: NewDecisionRecord): DecisionRecord {
    const stored: DecisionRecord = { ...record, id: this.nextId++ };
    this.records.push(stored);
    this.byId.set(stored.id, stored);
    // Past capacity, drop the oldest half at once: shifting one a record would copy them all.
    if (this.records.length > this.capacity) {
      const dropped = this.records.splice(0, Math.ceil(this.capacity / 2));
      for (const r of dropped) this.byId.delete(r.id);
    }
    return stored;
  }

  discard(id: number): Promise<void> {
    const r = this.byId.get(id);
    if (r?.outcome === 'pending') {
      this.byId.delete(id);
      this.records.splice(this.records.indexOf(r), 1);
    }
    return Promise.resolve();
  }

  settle(id: number, outcome: DecisionOutcome, message: string, timeMs: number): Promise<void> {
    const r = this.byId.get(id);
    if (r) Object.assign(r, { outcome, message, settledMs: timeMs });
    return Promise.resolve();
  }

  unsettled(): Promise<DecisionRecord[]> {
    return Promise.resolve(
      this.records.filter((r) => OPEN_OUTCOMES.includes(r.outcome)).map((r) => ({ ...r })),
    );
  }

  lastChanges(sinceMs: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const r of this.records) {
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
      this.records
        .slice(-limit)
        .reverse()
        .map((r) => ({ ...r })),
    );
  }

  get(id: number): Promise<DecisionRecord | undefined> {
    const r = this.byId.get(id);
    return Promise.resolve(r && { ...r });
  }

  stats(): Promise<DecisionStats> {
    return Promise.resolve(computeStats(this.records));
  }

  prune(limits: RetentionLimits, batch: number): Promise<number> {
    const cutoff = this.records.length - limits.keep;
    const doomed = new Set<DecisionRecord>();
    for (let i = 0; i < this.records.length && doomed.size < batch; i++) {
      const r = this.records[i]!;
      if ((i < cutoff || r.timeMs < limits.beforeMs) && !OPEN_OUTCOMES.includes(r.outcome))
        doomed.add(r);
    }
    if (doomed.size === 0) return Promise.resolve(0);
    const kept = this.records.filter((r) => !doomed.has(r));
    this.records.length = 0;
    this.records.push(...kept);
    for (const r of doomed) this.byId.delete(r.id);
    return Promise.resolve(doomed.size);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
