/**
 * The record of every decision the autoscaler made and what became of it. One interface, so
 * that the API and the controller never know where records live; this file holds the
 * in-memory log (bounded), and the SQLite and PostgreSQL stores implement the same interface.
 */
import type { Decision } from '../policies/types.js';
import { computeStats, type DecisionStats } from './decisionStats.js';

/** What became of a decision. */
export type DecisionOutcome =
  | 'applied' // acted on and verified
  | 'unverified' // acted on, but the cluster did not confirm it in time
  | 'dry_run' // dry_run is on: decided, recorded, not acted on
  | 'recommend' // the workload's mode is recommend
  | 'no_change' // nothing to change
  | 'cooldown' // a change was wanted, but the workload is in its cooldown
  | 'failed'; // acting failed

export interface DecisionRecord {
  id: number;
  timeMs: number;
  namespace: string;
  workload: string;
  /** The pod the request named, for seed 002's pod-level routes. */
  pod?: string;
  decision: Decision;
  outcome: DecisionOutcome;
  message: string;
  /** Usage and limits per pod when the decision was made (seed 002's current_metrics). */
  metrics: {
    cpuUsageCores: number;
    memoryUsageMb: number;
    cpuLimitCores: number;
    memoryLimitMb: number;
  };
}

export type NewDecisionRecord = Omit<DecisionRecord, 'id'>;

export interface DecisionLog {
  /** Stores the record; resolves once it is durable, with its id. */
  append(record: NewDecisionRecord): Promise<DecisionRecord>;
  /** The most recent first. */
  recent(limit: number): Promise<DecisionRecord[]>;
  /** Seed 002's statistics over every record the store keeps. */
  stats(): Promise<DecisionStats>;
  close(): Promise<void>;
}

export class MemoryDecisionLog implements DecisionLog {
  private readonly records: DecisionRecord[] = [];
  private nextId = 1;

  constructor(private readonly capacity = 10_000) {}

  append(record: NewDecisionRecord): Promise<DecisionRecord> {
    const stored = { ...record, id: this.nextId++ };
    this.records.push(stored);
    if (this.records.length > this.capacity) this.records.shift();
    return Promise.resolve(stored);
  }

  recent(limit: number): Promise<DecisionRecord[]> {
    return Promise.resolve(this.records.slice(-limit).reverse());
  }

  stats(): Promise<DecisionStats> {
    return Promise.resolve(computeStats(this.records));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
