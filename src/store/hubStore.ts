/**
 * What the hub keeps about the clusters it steers through agents (issue 13): each cluster with
 * its API key (only a SHA-256 of it: the key is random, 256 bits, so a digest is as strong as a
 * salted hash and can be looked up in constant time) and its secret key (kept as given: the hub
 * signs with it, so the database is as sensitive as the agents' Secrets); each agent with its
 * registration and last heartbeat; and every ingested batch, once per idempotency key.
 */
import type { Sql } from './sql.js';

export interface ClusterRecord {
  id: string;
  name: string;
  /** Hex SHA-256 of the API key. */
  apiKeyHash: string;
  secretKey: string;
  createdMs: number;
}

export interface AgentRecord {
  clusterId: string;
  agentId: string;
  version: string;
  actions: string[];
  registeredMs: number;
  lastSeenMs: number;
  /** The last heartbeat's body (components, restarts, rssBytes…), when one came. */
  heartbeat?: Record<string, unknown>;
  lastHeartbeatMs?: number;
  deregisteredMs?: number;
  deregisterReason?: string;
}

export interface IngestBatch {
  clusterId: string;
  agentId: string;
  idempotencyKey: string;
  seq: number;
  kind: string;
  collectedAtMs: number;
  items: readonly unknown[];
}

export interface IngestTotals {
  kind: string;
  batches: number;
  items: number;
  lastCollectedMs: number;
}

/** What an operator's action through `POST /clusters/:id/actions` became. */
export type HubActionOutcome =
  | 'pending'
  | 'succeeded'
  | 'failed'
  /** Sent and not answered in time: it may have happened. */
  | 'unanswered';

export interface HubActionRecord {
  clusterId: string;
  id: string;
  type: string;
  action: Record<string, unknown>;
  requestedMs: number;
  outcome: HubActionOutcome;
  message?: string;
  result?: unknown;
  settledMs?: number;
}

export interface HubStore {
  /** False when a cluster with that id exists already. */
  createCluster(c: ClusterRecord): Promise<boolean>;
  getCluster(id: string): Promise<ClusterRecord | undefined>;
  listClusters(): Promise<ClusterRecord[]>;
  /**
   * Forgets a cluster: its keys, agents, batches and operators' actions, in one transaction;
   * false when there was none. Its decisions stay in the decision log until retention.
   */
  deleteCluster(id: string): Promise<boolean>;
  saveAgent(a: AgentRecord): Promise<void>;
  listAgents(clusterId?: string): Promise<AgentRecord[]>;
  /**
   * Stores a batch unless one with its cluster and idempotency key is stored already; true when
   * it was new. Resolves only once the batch is committed, so an ack after it is never early.
   */
  ingest(batch: IngestBatch, receivedMs: number): Promise<boolean>;
  ingestTotals(clusterId: string): Promise<IngestTotals[]>;
  /** The newest batches of a kind, newest first. */
  batches(
    clusterId: string,
    kind: string,
    limit: number,
  ): Promise<(IngestBatch & { receivedMs: number })[]>;
  /** Deletes batches received before `beforeMs`; how many. */
  prune(beforeMs: number): Promise<number>;
  /** Records an operator's action as pending, before it is sent. */
  recordAction(a: HubActionRecord): Promise<void>;
  /** Settles a recorded action with what became of it. */
  settleAction(
    clusterId: string,
    id: string,
    settled: { outcome: HubActionOutcome; message?: string; result?: unknown; settledMs: number },
  ): Promise<void>;
  /**
   * Removes a pending action the agent refused or the cluster rejected (a 4xx: nothing
   * changed), as the local actuator forgets an operator's refused request.
   */
  discardAction(clusterId: string, id: string): Promise<void>;
  /** The newest actions of a cluster, newest first. */
  actions(clusterId: string, limit: number): Promise<HubActionRecord[]>;
}

export const HUB_ACTIONS_MIGRATION = {
  version: 6,
  name: "the hub's record of operators' actions",
  up: [
    `CREATE TABLE hub_actions (
      cluster_id TEXT NOT NULL,
      id TEXT NOT NULL,
      type TEXT NOT NULL,
      action TEXT NOT NULL,
      requested_ms BIGINT NOT NULL,
      outcome TEXT NOT NULL,
      message TEXT,
      result TEXT,
      settled_ms BIGINT,
      PRIMARY KEY (cluster_id, id)
    )`,
    'CREATE INDEX hub_actions_time ON hub_actions (cluster_id, requested_ms)',
  ],
} as const;

export const HUB_MIGRATION = {
  version: 5,
  name: 'the hub: clusters, agents and ingested batches',
  up: [
    `CREATE TABLE hub_clusters (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      api_key_hash TEXT NOT NULL,
      secret_key TEXT NOT NULL,
      created_ms BIGINT NOT NULL
    )`,
    `CREATE TABLE hub_agents (
      cluster_id TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      version TEXT NOT NULL,
      actions TEXT NOT NULL,
      registered_ms BIGINT NOT NULL,
      last_seen_ms BIGINT NOT NULL,
      heartbeat TEXT,
      last_heartbeat_ms BIGINT,
      deregistered_ms BIGINT,
      deregister_reason TEXT,
      PRIMARY KEY (cluster_id, agent_id)
    )`,
    `CREATE TABLE hub_batches (
      cluster_id TEXT NOT NULL,
      idempotency_key TEXT NOT NULL,
      agent_id TEXT NOT NULL,
      seq BIGINT NOT NULL,
      kind TEXT NOT NULL,
      collected_ms BIGINT NOT NULL,
      received_ms BIGINT NOT NULL,
      item_count INTEGER NOT NULL,
      items TEXT NOT NULL,
      PRIMARY KEY (cluster_id, idempotency_key)
    )`,
    'CREATE INDEX hub_batches_kind ON hub_batches (cluster_id, kind, received_ms)',
    'CREATE INDEX hub_batches_received ON hub_batches (received_ms)',
  ],
} as const;

type ClusterRow = {
  id: string;
  name: string;
  api_key_hash: string;
  secret_key: string;
  created_ms: number | string;
};

const toCluster = (r: ClusterRow): ClusterRecord => ({
  id: r.id,
  name: r.name,
  apiKeyHash: r.api_key_hash,
  secretKey: r.secret_key,
  createdMs: Number(r.created_ms),
});

type AgentRow = {
  cluster_id: string;
  agent_id: string;
  version: string;
  actions: string;
  registered_ms: number | string;
  last_seen_ms: number | string;
  heartbeat: string | null;
  last_heartbeat_ms: number | string | null;
  deregistered_ms: number | string | null;
  deregister_reason: string | null;
};

const toAgent = (r: AgentRow): AgentRecord => ({
  clusterId: r.cluster_id,
  agentId: r.agent_id,
  version: r.version,
  actions: JSON.parse(r.actions) as string[],
  registeredMs: Number(r.registered_ms),
  lastSeenMs: Number(r.last_seen_ms),
  ...(r.heartbeat ? { heartbeat: JSON.parse(r.heartbeat) as Record<string, unknown> } : {}),
  ...(r.last_heartbeat_ms !== null ? { lastHeartbeatMs: Number(r.last_heartbeat_ms) } : {}),
  ...(r.deregistered_ms !== null ? { deregisteredMs: Number(r.deregistered_ms) } : {}),
  ...(r.deregister_reason !== null ? { deregisterReason: r.deregister_reason } : {}),
});

export class SqlHubStore implements HubStore {
  constructor(private readonly sql: Sql) {}

  async createCluster(c: ClusterRecord): Promise<boolean> {
    const rows = await this.sql.all(
      `INSERT INTO hub_clusters (id, name, api_key_hash, secret_key, created_ms)
       VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id`,
      [c.id, c.name, c.apiKeyHash, c.secretKey, c.createdMs],
    );
    return rows.length === 1;
  }

  async getCluster(id: string): Promise<ClusterRecord | undefined> {
    const rows = await this.sql.all<ClusterRow>('SELECT * FROM hub_clusters WHERE id = ?', [id]);
    return rows[0] ? toCluster(rows[0]) : undefined;
  }

  async listClusters(): Promise<ClusterRecord[]> {
    return (await this.sql.all<ClusterRow>('SELECT * FROM hub_clusters ORDER BY id')).map(
      toCluster,
    );
  }

  async deleteCluster(id: string): Promise<boolean> {
    // Only a registered cluster's rows: a cluster that is not there leaves the store as it was.
    const registered = 'cluster_id = ? AND EXISTS (SELECT 1 FROM hub_clusters WHERE id = ?)';
    const results = await this.sql.transaction([
      { sql: `DELETE FROM hub_batches WHERE ${registered}`, params: [id, id] },
      { sql: `DELETE FROM hub_actions WHERE ${registered}`, params: [id, id] },
      { sql: `DELETE FROM hub_agents WHERE ${registered}`, params: [id, id] },
      { sql: 'DELETE FROM hub_clusters WHERE id = ? RETURNING id', params: [id] },
    ]);
    return (results[3]?.length ?? 0) === 1;
  }

  async saveAgent(a: AgentRecord): Promise<void> {
    await this.sql.all(
      `INSERT INTO hub_agents (cluster_id, agent_id, version, actions, registered_ms, last_seen_ms,
         heartbeat, last_heartbeat_ms, deregistered_ms, deregister_reason)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (cluster_id, agent_id) DO UPDATE SET
         version = excluded.version, actions = excluded.actions,
         registered_ms = excluded.registered_ms, last_seen_ms = excluded.last_seen_ms,
         heartbeat = excluded.heartbeat, last_heartbeat_ms = excluded.last_heartbeat_ms,
         deregistered_ms = excluded.deregistered_ms, deregister_reason = excluded.deregister_reason`,
      [
        a.clusterId,
        a.agentId,
        a.version,
        JSON.stringify(a.actions),
        a.registeredMs,
        a.lastSeenMs,
        a.heartbeat ? JSON.stringify(a.heartbeat) : null,
        a.lastHeartbeatMs ?? null,
        a.deregisteredMs ?? null,
        a.deregisterReason ?? null,
      ],
    );
  }

  async listAgents(clusterId?: string): Promise<AgentRecord[]> {
    const rows = await this.sql.all<AgentRow>(
      clusterId === undefined
        ? 'SELECT * FROM hub_agents ORDER BY cluster_id, agent_id'
        : 'SELECT * FROM hub_agents WHERE cluster_id = ? ORDER BY agent_id',
      clusterId === undefined ? [] : [clusterId],
    );
    return rows.map(toAgent);
  }

  async ingest(b: IngestBatch, receivedMs: number): Promise<boolean> {
    const rows = await this.sql.all(
      `INSERT INTO hub_batches (cluster_id, idempotency_key, agent_id, seq, kind, collected_ms,
         received_ms, item_count, items)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (cluster_id, idempotency_key) DO NOTHING RETURNING seq`,
      [
        b.clusterId,
        b.idempotencyKey,
        b.agentId,
        b.seq,
        b.kind,
        b.collectedAtMs,
        receivedMs,
        b.items.length,
        JSON.stringify(b.items),
      ],
    );
    return rows.length === 1;
  }

  async ingestTotals(clusterId: string): Promise<IngestTotals[]> {
    const rows = await this.sql.all<{
      kind: string;
      batches: number | string;
      items: number | string | null;
      last: number | string | null;
    }>(
      `SELECT kind, COUNT(*) AS batches, SUM(item_count) AS items, MAX(collected_ms) AS last
       FROM hub_batches WHERE cluster_id = ? GROUP BY kind ORDER BY kind`,
      [clusterId],
    );
    return rows.map((r) => ({
      kind: r.kind,
      batches: Number(r.batches),
      items: Number(r.items ?? 0),
      lastCollectedMs: Number(r.last ?? 0),
    }));
  }

  async batches(
    clusterId: string,
    kind: string,
    limit: number,
  ): Promise<(IngestBatch & { receivedMs: number })[]> {
    const rows = await this.sql.all<{
      idempotency_key: string;
      agent_id: string;
      seq: number | string;
      collected_ms: number | string;
      received_ms: number | string;
      items: string;
    }>(
      `SELECT idempotency_key, agent_id, seq, collected_ms, received_ms, items FROM hub_batches
       WHERE cluster_id = ? AND kind = ? ORDER BY received_ms DESC, seq DESC LIMIT ?`,
      [clusterId, kind, limit],
    );
    return rows.map((r) => ({
      clusterId,
      kind,
      agentId: r.agent_id,
      idempotencyKey: r.idempotency_key,
      seq: Number(r.seq),
      collectedAtMs: Number(r.collected_ms),
      receivedMs: Number(r.received_ms),
      items: JSON.parse(r.items) as unknown[],
    }));
  }

  async recordAction(a: HubActionRecord): Promise<void> {
    await this.sql.all(
      `INSERT INTO hub_actions (cluster_id, id, type, action, requested_ms, outcome)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [a.clusterId, a.id, a.type, JSON.stringify(a.action), a.requestedMs, a.outcome],
    );
  }

  async settleAction(
    clusterId: string,
    id: string,
    settled: { outcome: HubActionOutcome; message?: string; result?: unknown; settledMs: number },
  ): Promise<void> {
    await this.sql.all(
      `UPDATE hub_actions SET outcome = ?, message = ?, result = ?, settled_ms = ?
       WHERE cluster_id = ? AND id = ?`,
      [
        settled.outcome,
        settled.message ?? null,
        settled.result === undefined ? null : JSON.stringify(settled.result),
        settled.settledMs,
        clusterId,
        id,
      ],
    );
  }

  async discardAction(clusterId: string, id: string): Promise<void> {
    await this.sql.all(
      "DELETE FROM hub_actions WHERE cluster_id = ? AND id = ? AND outcome = 'pending'",
      [clusterId, id],
    );
  }

  async actions(clusterId: string, limit: number): Promise<HubActionRecord[]> {
    const rows = await this.sql.all<{
      id: string;
      type: string;
      action: string;
      requested_ms: number | string;
      outcome: HubActionOutcome;
      message: string | null;
      result: string | null;
      settled_ms: number | string | null;
    }>(
      `SELECT id, type, action, requested_ms, outcome, message, result, settled_ms FROM hub_actions
       WHERE cluster_id = ? ORDER BY requested_ms DESC, id DESC LIMIT ?`,
      [clusterId, limit],
    );
    return rows.map((r) => ({
      clusterId,
      id: r.id,
      type: r.type,
      action: JSON.parse(r.action) as Record<string, unknown>,
      requestedMs: Number(r.requested_ms),
      outcome: r.outcome,
      ...(r.message !== null ? { message: r.message } : {}),
      ...(r.result !== null ? { result: JSON.parse(r.result) as unknown } : {}),
      ...(r.settled_ms !== null ? { settledMs: Number(r.settled_ms) } : {}),
    }));
  }

  async prune(beforeMs: number): Promise<number> {
    const rows = await this.sql.all('DELETE FROM hub_batches WHERE received_ms < ? RETURNING seq', [
      beforeMs,
    ]);
    return rows.length;
  }
}
