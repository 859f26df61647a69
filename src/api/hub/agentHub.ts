/**
 * The hub inside `qpilot serve` (issue 13, docs/protocol.md): the clusters registered with it
 * and their keys, the agents that speak for them, and what each message of an agent does.
 * Transport-free: the REST routes and the WebSocket (routes/agents.ts) both hand it validated
 * messages and send back what it answers. Calls to the agents go through the Switchboard,
 * which AgentCluster uses too.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Switchboard } from '../../cluster/agent/switchboard.js';
import type { Clock } from '../../core/clock.js';
import { QpError } from '../../core/errors.js';
import { type AgentMessage, type HubMessage, PROTOCOL_VERSION } from '../../core/protocol.js';
import type { AgentRecord, ClusterRecord, HubStore, IngestTotals } from '../../store/hubStore.js';

/** How often agents are asked to send a heartbeat. */
export const HEARTBEAT_INTERVAL_SEC = 30;

export interface HubEvents {
  /** The hub knows a cluster: at start-up, when registered here, or first seen through another replica. */
  known?(clusterId: string): void;
  /** A cluster was deleted here: nothing steers it any more. */
  forgotten?(clusterId: string): void;
  registered?(clusterId: string, agentId: string, version: string): void;
  deregistered?(clusterId: string, agentId: string, reason: string): void;
  /** A batch arrived; `duplicate` when its key was stored already (the ack was lost). */
  ingested?(clusterId: string, kind: string, items: number, duplicate: boolean): void;
  /** A result no call awaits (it timed out, or this hub never sent it). */
  unexpectedResult?(clusterId: string, actionId: string, outcome: string, message: string): void;
}

export interface AgentView {
  agentId: string;
  version: string;
  actions: string[];
  /** `websocket` when its socket is open, `polling` when it polled lately, else `none`. */
  channel: 'websocket' | 'polling' | 'none';
  registeredMs: number;
  lastSeenMs: number;
  lastHeartbeatMs?: number;
  heartbeat?: Record<string, unknown>;
  deregisteredMs?: number;
  deregisterReason?: string;
}

export interface ClusterView {
  id: string;
  name: string;
  createdMs: number;
  /** Whether a call to the cluster can leave now (an agent holds a socket or polls). */
  reachable: boolean;
  agents: AgentView[];
  ingest: IngestTotals[];
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex');
const key = (clusterId: string, agentId: string) => `${clusterId}\u0000${agentId}`;

export class AgentHub {
  /** Secret keys by cluster, for the switchboard's synchronous signing. */
  private readonly secrets = new Map<string, string>();
  private readonly hashes = new Map<string, string>();
  private readonly agents = new Map<string, AgentRecord>();

  constructor(
    private readonly deps: {
      store: HubStore;
      switchboard: Switchboard;
      clock: Clock;
      events?: HubEvents;
    },
  ) {}

  /** Reads the registered clusters and their agents (at start-up). */
  /** The hub's clock, for what the routes record. */
  now(): number {
    return this.deps.clock.now();
  }

  async load(): Promise<void> {
    for (const c of await this.deps.store.listClusters()) this.remember(c);
    for (const a of await this.deps.store.listAgents())
      this.agents.set(key(a.clusterId, a.agentId), a);
  }

  /** Whether an agent of the cluster that has not deregistered takes actions of this type. */
  takes(clusterId: string, action: string): boolean {
    for (const a of this.agents.values())
      if (a.clusterId === clusterId && a.deregisteredMs === undefined && a.actions.includes(action))
        return true;
    return false;
  }

  secretKey(clusterId: string): string | undefined {
    return this.secrets.get(clusterId);
  }

  private remember(c: ClusterRecord): void {
    const first = !this.hashes.has(c.id);
    this.secrets.set(c.id, c.secretKey);
    this.hashes.set(c.id, c.apiKeyHash);
    if (first) this.deps.events?.known?.(c.id);
  }

  /**
   * Registers a cluster and makes its keys: the API key (which the hub keeps only as a digest)
   * and the secret key actions are signed with. Both are shown once, here.
   */
  async createCluster(
    id: string,
    name: string,
  ): Promise<{ cluster: ClusterRecord; apiKey: string; secretKey: string }> {
    const apiKey = randomBytes(32).toString('hex');
    const secretKey = randomBytes(32).toString('hex');
    const cluster: ClusterRecord = {
      id,
      name,
      apiKeyHash: digest(apiKey),
      secretKey,
      createdMs: this.deps.clock.now(),
    };
    if (!(await this.deps.store.createCluster(cluster)))
      throw new QpError('QP_ERR_CONFLICT', `cluster "${id}" is registered already`, {
        cluster: id,
      });
    this.remember(cluster);
    return { cluster, apiKey, secretKey };
  }

  /**
   * Deletes a cluster: its keys (its agents are refused from now on, and their sockets
   * closed), its agents, batches and actions. QP_ERR_NOT_FOUND when there is none.
   */
  async deleteCluster(id: string): Promise<void> {
    if (!(await this.deps.store.deleteCluster(id)))
      throw new QpError('QP_ERR_NOT_FOUND', `cluster "${id}" not found`, { cluster: id });
    this.secrets.delete(id);
    this.hashes.delete(id);
    for (const [k, a] of this.agents) if (a.clusterId === id) this.agents.delete(k);
    this.deps.switchboard.hangUp(id);
    this.deps.events?.forgotten?.(id);
  }

  /**
   * The cluster whose API key this is; QP_ERR_UNAUTHORIZED otherwise, with the same words
   * whether the cluster is unknown or the key wrong. A cluster registered through another
   * replica is read from the store.
   */
  async authenticate(clusterId: string | undefined, apiKey: string | undefined): Promise<string> {
    const refused = new QpError(
      'QP_ERR_UNAUTHORIZED',
      'an agent must send Authorization: Bearer <API_KEY> and X-Qpilot-Cluster: <CLUSTER_ID> of a registered cluster',
    );
    if (!clusterId || !apiKey) throw refused;
    if (!this.hashes.has(clusterId)) {
      const c = await this.deps.store.getCluster(clusterId);
      if (c) this.remember(c);
    }
    const expected = this.hashes.get(clusterId);
    const given = digest(apiKey);
    if (!expected || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) throw refused;
    return clusterId;
  }

  /** What a message of an agent of `clusterId` does, and the hub's answer. */
  async handle(clusterId: string, m: AgentMessage): Promise<HubMessage | undefined> {
    const now = this.deps.clock.now();
    const reply = <T extends HubMessage['type']>(
      body: Omit<Extract<HubMessage, { type: T }>, 'v' | 'id'>,
    ) => ({ v: PROTOCOL_VERSION, id: randomBytes(8).toString('hex'), ...body }) as HubMessage;
    switch (m.type) {
      case 'register': {
        if (m.clusterId !== clusterId)
          throw new QpError(
            'QP_ERR_INVALID_ARGUMENT',
            `register: clusterId "${m.clusterId}" is not the cluster this key belongs to ("${clusterId}")`,
          );
        await this.save({
          clusterId,
          agentId: m.agentId,
          version: m.version,
          actions: m.actions,
          registeredMs: now,
          lastSeenMs: now,
        });
        this.deps.events?.registered?.(clusterId, m.agentId, m.version);
        return reply<'registered'>({
          type: 'registered',
          re: m.id,
          heartbeatIntervalSec: HEARTBEAT_INTERVAL_SEC,
        });
      }
      case 'heartbeat': {
        const { v: _v, id: _id, type: _t, agentId, ...body } = m;
        await this.save({
          ...this.agentOrNew(clusterId, agentId, now),
          lastSeenMs: now,
          lastHeartbeatMs: now,
          heartbeat: body,
        });
        return reply<'ack'>({ type: 'ack', re: m.id });
      }
      case 'ingest': {
        const fresh = await this.deps.store.ingest(
          {
            clusterId,
            agentId: m.agentId,
            idempotencyKey: m.idempotencyKey,
            seq: m.seq,
            kind: m.kind,
            collectedAtMs: m.collectedAtMs,
            items: m.items,
          },
          now,
        );
        this.deps.events?.ingested?.(clusterId, m.kind, m.items.length, !fresh);
        this.touch(clusterId, m.agentId, now);
        return reply<'ack'>({ type: 'ack', re: m.id, idempotencyKey: m.idempotencyKey });
      }
      case 'result': {
        const { v: _v, id: _id, type: _t, agentId: _a, ...result } = m;
        if (!this.deps.switchboard.settle(clusterId, result))
          this.deps.events?.unexpectedResult?.(clusterId, m.actionId, m.outcome, m.message);
        this.touch(clusterId, m.agentId, now);
        return reply<'ack'>({ type: 'ack', re: m.id });
      }
      case 'deregister': {
        await this.save({
          ...this.agentOrNew(clusterId, m.agentId, now),
          lastSeenMs: now,
          deregisteredMs: now,
          deregisterReason: m.reason,
        });
        this.deps.events?.deregistered?.(clusterId, m.agentId, m.reason);
        return reply<'ack'>({ type: 'ack', re: m.id });
      }
    }
  }

  /** The agent's record, or a new one for an agent that speaks before it registered here (another replica took its registration). */
  private agentOrNew(clusterId: string, agentId: string, now: number): AgentRecord {
    return (
      this.agents.get(key(clusterId, agentId)) ?? {
        clusterId,
        agentId,
        version: 'unknown',
        actions: [],
        registeredMs: now,
        lastSeenMs: now,
      }
    );
  }

  private async save(a: AgentRecord): Promise<void> {
    await this.deps.store.saveAgent(a);
    this.agents.set(key(a.clusterId, a.agentId), a);
  }

  /** Seen now; written to the store only with the next heartbeat (a batch is no news). */
  private touch(clusterId: string, agentId: string, now: number): void {
    const a = this.agents.get(key(clusterId, agentId));
    if (a) a.lastSeenMs = now;
  }

  async clusters(): Promise<ClusterView[]> {
    const clusters = await this.deps.store.listClusters();
    return Promise.all(clusters.map((c) => this.view(c)));
  }

  async cluster(id: string): Promise<ClusterView> {
    const c = await this.deps.store.getCluster(id);
    if (!c) throw new QpError('QP_ERR_NOT_FOUND', `cluster "${id}" not found`, { cluster: id });
    return this.view(c);
  }

  private async view(c: ClusterRecord): Promise<ClusterView> {
    this.remember(c);
    const stored = await this.deps.store.listAgents(c.id);
    const agents = stored.map((s): AgentView => {
      // This replica's memory is fresher than the store between heartbeats.
      const a = this.agents.get(key(c.id, s.agentId)) ?? s;
      const channel = this.deps.switchboard.channel(c.id, a.agentId);
      return {
        agentId: a.agentId,
        version: a.version,
        actions: a.actions,
        channel,
        registeredMs: a.registeredMs,
        lastSeenMs: a.lastSeenMs,
        ...(a.lastHeartbeatMs !== undefined ? { lastHeartbeatMs: a.lastHeartbeatMs } : {}),
        ...(a.heartbeat ? { heartbeat: a.heartbeat } : {}),
        ...(a.deregisteredMs !== undefined ? { deregisteredMs: a.deregisteredMs } : {}),
        ...(a.deregisterReason !== undefined ? { deregisterReason: a.deregisterReason } : {}),
      };
    });
    return {
      id: c.id,
      name: c.name,
      createdMs: c.createdMs,
      reachable: this.deps.switchboard.reachable(c.id),
      agents,
      ingest: await this.deps.store.ingestTotals(c.id),
    };
  }
}
