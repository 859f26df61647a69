/**
 * Each policy's per-workload history (the HPA's stabilisation window, the DQN's demand
 * window, the VPA's histograms), kept so that a restarted qpilot or a new leader decides as
 * the old one would have (ARCHITECTURE.md rule 8). One row per policy and workload, replaced
 * at every save.
 */
import type { Sql } from './sql.js';

export interface PolicyState {
  /** The policy spec the state belongs to (`dqn`, `hpa:80`, …). */
  policy: string;
  namespace: string;
  workload: string;
  state: unknown;
}

export interface PolicyStateStore {
  /** Replaces the states given, in one transaction. */
  save(states: readonly PolicyState[], nowMs: number): Promise<void>;
  /** Every state saved since `sinceMs` (older history is stale anyway). */
  load(sinceMs: number): Promise<PolicyState[]>;
}

export class MemoryPolicyStateStore implements PolicyStateStore {
  private readonly rows = new Map<string, PolicyState & { updatedMs: number }>();

  save(states: readonly PolicyState[], nowMs: number): Promise<void> {
    for (const s of states)
      this.rows.set(`${s.policy}\u0000${s.namespace}/${s.workload}`, {
        ...s,
        state: structuredClone(s.state),
        updatedMs: nowMs,
      });
    return Promise.resolve();
  }

  load(sinceMs: number): Promise<PolicyState[]> {
    return Promise.resolve(
      [...this.rows.values()]
        .filter((r) => r.updatedMs >= sinceMs)
        .map(({ updatedMs: _, ...s }) => ({ ...s, state: structuredClone(s.state) })),
    );
  }
}

export class SqlPolicyStateStore implements PolicyStateStore {
  constructor(private readonly sql: Sql) {}

  async save(states: readonly PolicyState[], nowMs: number): Promise<void> {
    if (states.length === 0) return;
    await this.sql.transaction(
      states.map((s) => ({
        sql: `INSERT INTO policy_states (policy, namespace, workload, state, updated_ms)
              VALUES (?, ?, ?, ?, ?)
              ON CONFLICT (policy, namespace, workload)
              DO UPDATE SET state = excluded.state, updated_ms = excluded.updated_ms`,
        params: [s.policy, s.namespace, s.workload, JSON.stringify(s.state), nowMs],
      })),
    );
  }

  async load(sinceMs: number): Promise<PolicyState[]> {
    const rows = await this.sql.all<{
      policy: string;
      namespace: string;
      workload: string;
      state: string;
    }>('SELECT policy, namespace, workload, state FROM policy_states WHERE updated_ms >= ?', [
      sinceMs,
    ]);
    return rows.map((r) => ({
      policy: r.policy,
      namespace: r.namespace,
      workload: r.workload,
      state: JSON.parse(r.state) as unknown,
    }));
  }
}
