/**
 * The hub's end of its agents' channels (issue 13, docs/protocol.md): which agent of each
 * cluster is reachable and how, and the calls in flight to them. A call (an action or a
 * query) is signed with the cluster's secret key when it leaves: on the socket of the cluster's
 * newest connected agent, or else in the queue its agents poll. Its result comes back with its
 * id, over the socket or over HTTP, and settles the call.
 *
 * What a caller learns is exact about the cluster: a call that never left (no agent, or still
 * queued when it timed out, in which case it is withdrawn) fails with QP_ERR_UNAVAILABLE and
 * changed nothing; a call that left and was not answered in time fails with QP_ERR_TIMEOUT,
 * because the agent may have carried it out.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { errorCatalogue, type ErrorCode, invalidArgument, QpError } from '../../core/errors.js';
import {
  type Action,
  type CallResult,
  type HubMessage,
  parseMessage,
  PROTOCOL_VERSION,
  type Query,
} from '../../core/protocol.js';
import { sign } from '../../core/signing.js';

export type Call = { kind: 'action'; action: Action } | { kind: 'query'; query: Query };

/** How one connected agent is sent a message (its WebSocket). */
export type Send = (message: HubMessage) => void;

interface Pending {
  clusterId: string;
  call: Call;
  /** Whether the call left the hub (then its outcome is unknown until its result arrives). */
  delivered: boolean;
  resolve: (r: CallResult) => void;
  reject: (err: Error) => void;
  /** Aborts the call's timeout. */
  timer: AbortController;
}

interface Socket {
  agentId: string;
  send: Send;
  /** Closes the socket (the agent will reconnect). */
  hangUp?: () => void;
}

export interface SwitchboardOptions {
  clock: Clock;
  /** The cluster's secret key, to sign with; undefined for a cluster the hub does not know. */
  secretKey: (clusterId: string) => string | undefined;
  /**
   * How long after its last poll an agent without a socket still counts as reachable (then a
   * call waits in its queue); three poll intervals by default (10 s each).
   */
  pollGraceMs?: number;
}

export interface ClusterLinkState {
  /** Agents with an open socket, newest last. */
  sockets: string[];
  /** Agents that polled lately, with when. */
  polling: Record<string, number>;
  queued: number;
  inFlight: number;
}

const callId = () => randomUUID();

export class Switchboard {
  private readonly sockets = new Map<string, Socket[]>();
  private readonly queues = new Map<string, string[]>();
  private readonly polls = new Map<string, Map<string, number>>();
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: SwitchboardOptions) {}

  /** An agent's socket opened; returns what to call when it closes. */
  attach(clusterId: string, agentId: string, send: Send, hangUp?: () => void): () => void {
    const socket: Socket = { agentId, send, ...(hangUp ? { hangUp } : {}) };
    const list = this.sockets.get(clusterId) ?? [];
    list.push(socket);
    this.sockets.set(clusterId, list);
    // Calls waiting for a poll leave now, on the socket.
    for (const id of this.queues.get(clusterId)?.splice(0) ?? []) this.deliver(id, socket);
    return () => {
      const now = this.sockets.get(clusterId)?.filter((s) => s !== socket) ?? [];
      if (now.length > 0) this.sockets.set(clusterId, now);
      else this.sockets.delete(clusterId);
    };
  }

  /** Whether a call to the cluster can leave now or at its agents' next poll. */
  reachable(clusterId: string): boolean {
    if ((this.sockets.get(clusterId)?.length ?? 0) > 0) return true;
    const grace = this.options.pollGraceMs ?? 30_000;
    const now = this.options.clock.now();
    for (const at of this.polls.get(clusterId)?.values() ?? []) if (now - at <= grace) return true;
    return false;
  }

  /** How an agent is reached now: its socket, its polling (within the grace), or not at all. */
  channel(clusterId: string, agentId: string): 'websocket' | 'polling' | 'none' {
    if (this.sockets.get(clusterId)?.some((s) => s.agentId === agentId)) return 'websocket';
    const polled = this.polls.get(clusterId)?.get(agentId);
    const grace = this.options.pollGraceMs ?? 30_000;
    return polled !== undefined && this.options.clock.now() - polled <= grace ? 'polling' : 'none';
  }

  state(clusterId: string): ClusterLinkState {
    let inFlight = 0;
    for (const p of this.pending.values()) if (p.clusterId === clusterId && p.delivered) inFlight++;
    return {
      sockets: (this.sockets.get(clusterId) ?? []).map((s) => s.agentId),
      polling: Object.fromEntries(this.polls.get(clusterId) ?? []),
      queued: this.queues.get(clusterId)?.length ?? 0,
      inFlight,
    };
  }

  /**
   * Sends a call to the cluster's agent and resolves with its result (whatever its outcome);
   * rejects with QP_ERR_UNAVAILABLE when it could not leave, QP_ERR_TIMEOUT when it left and no
   * result came back within `timeoutMs`.
   */
  call(clusterId: string, call: Call, timeoutMs: number): Promise<CallResult> {
    if (this.options.secretKey(clusterId) === undefined)
      return Promise.reject(
        new QpError('QP_ERR_NOT_FOUND', `cluster "${clusterId}" is not registered with this hub`),
      );
    if (!this.reachable(clusterId))
      return Promise.reject(
        new QpError(
          'QP_ERR_UNAVAILABLE',
          `no agent of cluster "${clusterId}" is connected; nothing was sent (retry when one is)`,
          { cluster: clusterId },
        ),
      );
    // The agent would ignore a message that breaks the protocol: say so now, by field.
    const checked = parseMessage('hub', {
      v: PROTOCOL_VERSION,
      id: 'check',
      ...(call.kind === 'action'
        ? { type: 'action', action: call.action }
        : { type: 'query', query: call.query }),
      signature: { timestampMs: 0, nonce: '0'.repeat(16), signature: '0'.repeat(64) },
    });
    if (!checked.ok) return Promise.reject(invalidArgument(checked.error));
    const id = call.kind === 'action' ? call.action.id : call.query.id;
    return new Promise<CallResult>((resolve, reject) => {
      const timer = new AbortController();
      this.options.clock.sleep(timeoutMs, timer.signal).then(
        () => this.expire(id),
        () => undefined,
      );
      this.pending.set(id, { clusterId, call, delivered: false, resolve, reject, timer });
      const socket = this.sockets.get(clusterId)?.at(-1);
      if (socket) this.deliver(id, socket);
      else {
        const queue = this.queues.get(clusterId) ?? [];
        queue.push(id);
        this.queues.set(clusterId, queue);
      }
    });
  }

  /** What an agent polling over HTTP is handed: the cluster's queued calls, signed now. */
  poll(clusterId: string, agentId: string): HubMessage[] {
    const seen = this.polls.get(clusterId) ?? new Map<string, number>();
    seen.set(agentId, this.options.clock.now());
    this.polls.set(clusterId, seen);
    const out: HubMessage[] = [];
    for (const id of this.queues.get(clusterId)?.splice(0) ?? []) {
      const p = this.pending.get(id);
      if (!p) continue;
      p.delivered = true;
      out.push(this.signed(p));
    }
    return out;
  }

  /**
   * A result arrived from an agent of `clusterId`; false when no call of that cluster awaits
   * it (answered already, timed out, or never sent by this hub).
   */
  settle(clusterId: string, result: CallResult): boolean {
    const p = this.pending.get(result.actionId);
    if (!p || p.clusterId !== clusterId) return false;
    this.pending.delete(result.actionId);
    p.timer.abort();
    p.resolve(result);
    return true;
  }

  /**
   * Closes every agent's socket and forgets their polls (this replica stopped leading: the
   * agents reconnect, and find the leader). Calls already sent settle as unanswered (504) if
   * their results never come back here; calls still queued wait out their time (503).
   */
  hangUpAll(): number {
    let n = 0;
    for (const id of new Set([...this.sockets.keys(), ...this.polls.keys()])) n += this.hangUp(id);
    return n;
  }

  /** Closes the sockets of one cluster's agents and forgets their polls (the cluster is gone). */
  hangUp(clusterId: string): number {
    const list = this.sockets.get(clusterId) ?? [];
    for (const s of list) s.hangUp?.();
    this.sockets.delete(clusterId);
    this.polls.delete(clusterId);
    return list.length;
  }

  /** Fails every call in flight (the hub is stopping). */
  close(): void {
    for (const [id, p] of this.pending) {
      p.timer.abort();
      this.pending.delete(id);
      p.reject(
        p.delivered
          ? new QpError('QP_ERR_TIMEOUT', 'the hub stopped before the agent answered')
          : new QpError('QP_ERR_UNAVAILABLE', 'the hub stopped; nothing was sent'),
      );
    }
    this.queues.clear();
  }

  private signed(p: Pending): HubMessage {
    const secret = this.options.secretKey(p.clusterId) ?? '';
    const now = this.options.clock.now();
    return p.call.kind === 'action'
      ? {
          v: PROTOCOL_VERSION,
          type: 'action',
          id: callId(),
          action: p.call.action,
          signature: sign(secret, p.call.action, now),
        }
      : {
          v: PROTOCOL_VERSION,
          type: 'query',
          id: callId(),
          query: p.call.query,
          signature: sign(secret, p.call.query, now),
        };
  }

  private deliver(id: string, socket: Socket): void {
    const p = this.pending.get(id);
    if (!p) return;
    try {
      socket.send(this.signed(p));
      p.delivered = true;
    } catch {
      // The socket is closing: the call waits for the next poll instead.
      const queue = this.queues.get(p.clusterId) ?? [];
      queue.push(id);
      this.queues.set(p.clusterId, queue);
    }
  }

  private expire(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    const queue = this.queues.get(p.clusterId);
    if (queue?.includes(id)) queue.splice(queue.indexOf(id), 1);
    const what =
      p.call.kind === 'action' ? `action ${p.call.action.type}` : `query ${p.call.query.op}`;
    p.reject(
      p.delivered
        ? new QpError(
            'QP_ERR_TIMEOUT',
            `the agent of cluster "${p.clusterId}" did not answer the ${what} in time; it may have been carried out`,
            { cluster: p.clusterId, id },
          )
        : new QpError(
            'QP_ERR_UNAVAILABLE',
            `no agent of cluster "${p.clusterId}" took the ${what} in time; it was withdrawn, nothing was changed`,
            { cluster: p.clusterId, id },
          ),
    );
  }
}

/** The error a failed or refused result stands for, with the agent's code when it sent one. */
export function resultError(clusterId: string, r: CallResult): QpError {
  if (r.outcome === 'refused')
    return new QpError(
      'QP_ERR_FORBIDDEN',
      `the agent of cluster "${clusterId}" refused the call: ${r.message}`,
      { cluster: clusterId },
    );
  const code: ErrorCode =
    r.code !== undefined && r.code in errorCatalogue ? (r.code as ErrorCode) : 'QP_ERR_INTERNAL';
  return new QpError(code, r.message, { cluster: clusterId });
}

export { callId };
