/**
 * The agent's link to its hub (seed 003's websocket_client.py, and the registration of
 * main.py). Outbound only: it registers over HTTP, then holds a WebSocket to BACKEND_WS_URL on
 * which actions arrive and results, batches and heartbeats leave. While the socket is down it
 * polls for actions every ACTION_POLL_INTERVAL and sends over HTTP, and tries the socket again
 * after a backoff that doubles up to a minute, with jitter. Batches leave the on-disk outbox
 * only when the hub acknowledges their idempotency key, so an outage loses nothing and a
 * batch sent twice is counted once. Every message received is validated (core/protocol.ts).
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { Backoff } from '../core/backoff.js';
import type { Clock } from '../core/clock.js';
import {
  type AgentMessage,
  type HubMessage,
  parseMessage,
  PROTOCOL_VERSION,
} from '../core/protocol.js';
import type { Rng } from '../core/rng.js';
import type { Item } from './collector.js';
import type { ActionExecutor, ActionResult } from './executor.js';
import type { AgentLink } from './healthServer.js';
import type { Outbox, OutboxBatch } from './outbox.js';
import type { Component } from './supervisor.js';

export interface HubConnectionDeps {
  backendUrl: URL;
  backendWsUrl: URL;
  apiKey: string;
  clusterId: string;
  agentId: string;
  version: string;
  pollIntervalSec: () => number;
  clock: Clock;
  rng: Rng;
  executor: Pick<ActionExecutor, 'execute' | 'query' | 'actions'>;
  outbox: Pick<Outbox<Item>, 'peek' | 'ack'>;
  onConfig?: (config: {
    collectionIntervalSec?: number;
    actionPollIntervalSec?: number;
    batchSize?: number;
  }) => void;
  log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
  /** How long an unacknowledged batch waits before it is sent again. */
  resendAfterMs?: number;
  /** The first reconnection delay (1 s), doubled up to a minute; shorter in fault tests. */
  firstBackoffMs?: number;
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;
const BATCHES_AT_ONCE = 10;

type Outgoing = AgentMessage extends infer M
  ? M extends { id: string }
    ? Omit<M, 'v' | 'id'>
    : never
  : never;

export class HubConnection implements AgentLink, Component {
  readonly name = 'connection';
  private isRegistered = false;
  private socket?: WebSocket;
  private sent = 0;
  private received = 0;
  private readonly backoff: Backoff;
  /** Batches sent and not yet acknowledged, by key: when they were sent. */
  private readonly inFlight = new Map<string, number>();
  private flushing?: Promise<void>;
  private flushAgain = false;
  private flushTo?: WebSocket;

  constructor(private readonly deps: HubConnectionDeps) {
    this.backoff = new Backoff(deps.rng, deps.firstBackoffMs ?? FIRST_BACKOFF_MS, MAX_BACKOFF_MS);
  }

  registered(): boolean {
    return this.isRegistered;
  }

  channel(): 'websocket' | 'polling' | 'none' {
    if (this.socket?.readyState === WebSocket.OPEN) return 'websocket';
    return this.isRegistered ? 'polling' : 'none';
  }

  bytesSent(): number {
    return this.sent;
  }

  bytesReceived(): number {
    return this.received;
  }

  private message(body: Outgoing): AgentMessage {
    return { v: PROTOCOL_VERSION, id: randomUUID(), ...body };
  }

  // ---- HTTP ------------------------------------------------------------------------------

  private async http(method: 'GET' | 'POST', path: string, body?: AgentMessage): Promise<unknown> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const res = await fetch(new URL(path, this.deps.backendUrl), {
      method,
      headers: {
        authorization: `Bearer ${this.deps.apiKey}`,
        'x-qpilot-cluster': this.deps.clusterId,
        ...(text ? { 'content-type': 'application/json' } : {}),
      },
      ...(text ? { body: text } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    this.sent += text ? Buffer.byteLength(text) : 0;
    const reply = await res.text();
    this.received += Buffer.byteLength(reply);
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${reply.slice(0, 200)}`);
    return reply ? (JSON.parse(reply) as unknown) : undefined;
  }

  /** Registers, retrying with the backoff until the hub answers or the agent stops. */
  async register(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      try {
        const reply = await this.http(
          'POST',
          'agents/register',
          this.message({
            type: 'register',
            clusterId: this.deps.clusterId,
            agentId: this.deps.agentId,
            version: this.deps.version,
            actions: this.deps.executor.actions(),
            startedAtMs: this.deps.clock.now(),
          }),
        );
        const parsed = parseMessage('hub', reply);
        if (!parsed.ok || parsed.message.type !== 'registered')
          throw new Error(
            `the hub answered registration with ${parsed.ok ? parsed.message.type : parsed.error}`,
          );
        this.isRegistered = true;
        this.backoff.reset();
        this.deps.log?.('info', 'Agent registered successfully');
        return true;
      } catch (err) {
        this.deps.log?.('warn', `Failed to register with backend: ${errorText(err)}`);
        if (!(await this.pause(this.backoff.next(), signal))) return false;
      }
    }
    return false;
  }

  /** Sends a heartbeat: on the socket when it is open, else over HTTP. */
  async heartbeat(
    body: Omit<Extract<Outgoing, { type: 'heartbeat' }>, 'type' | 'agentId'>,
  ): Promise<void> {
    const m = this.message({ type: 'heartbeat', agentId: this.deps.agentId, ...body });
    const ws = this.socket;
    if (ws?.readyState === WebSocket.OPEN) this.sendSocket(ws, m);
    else await this.http('POST', 'agents/heartbeat', m);
    this.deps.log?.('debug', 'Heartbeat sent successfully');
  }

  /** Tells the hub this agent is going away (at SIGTERM); best effort. */
  async deregister(reason: string): Promise<void> {
    if (!this.isRegistered) return;
    this.socket?.close(1001, 'the agent is stopping');
    try {
      await this.http(
        'POST',
        'agents/deregister',
        this.message({ type: 'deregister', agentId: this.deps.agentId, reason }),
      );
      this.deps.log?.('info', 'Agent deregistered');
    } catch (err) {
      this.deps.log?.('warn', `Deregistration failed: ${errorText(err)}`);
    }
    this.isRegistered = false;
  }

  // ---- the loop ----------------------------------------------------------------------------

  async run(signal: AbortSignal): Promise<void> {
    if (!this.isRegistered && !(await this.register(signal))) return;
    while (!signal.aborted) {
      try {
        await this.holdSocket(signal);
      } catch (err) {
        this.deps.log?.('warn', `WebSocket connection failed: ${errorText(err)}`);
      }
      if (signal.aborted) return;
      // Down: poll and send over HTTP until it is time to try the socket again.
      const until = this.deps.clock.now() + this.backoff.next();
      while (!signal.aborted && this.deps.clock.now() < until) {
        await this.pollOnce().catch((err: unknown) =>
          this.deps.log?.('warn', `Polling for actions failed: ${errorText(err)}`),
        );
        await this.flushHttp().catch((err: unknown) =>
          this.deps.log?.('warn', `Sending batches failed: ${errorText(err)}`),
        );
        const waitMs = Math.min(this.deps.pollIntervalSec() * 1000, until - this.deps.clock.now());
        if (waitMs > 0 && !(await this.pause(waitMs, signal))) return;
      }
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.deps.clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Opens the socket and serves it until it closes (resolves) or cannot open (throws). */
  private holdSocket(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.deps.backendWsUrl, {
        headers: {
          authorization: `Bearer ${this.deps.apiKey}`,
          'x-qpilot-cluster': this.deps.clusterId,
          'x-qpilot-agent': this.deps.agentId,
        },
        handshakeTimeout: 10_000,
      });
      let opened = false;
      let flusher: NodeJS.Timeout | undefined;
      const stop = () => ws.close(1001, 'the agent is stopping');
      signal.addEventListener('abort', stop, { once: true });
      ws.on('open', () => {
        opened = true;
        this.socket = ws;
        this.backoff.reset();
        this.inFlight.clear();
        this.deps.log?.('info', 'WebSocket connection established');
        const flush = () => void this.flushSocket(ws);
        flush();
        flusher = setInterval(flush, 1000);
        flusher.unref();
      });
      ws.on('ping', () => this.deps.log?.('debug', 'Received ping'));
      ws.on('message', (data: Buffer) => {
        this.received += data.length;
        void this.onSocketMessage(ws, data.toString('utf8'));
      });
      ws.on('error', (err) => {
        if (!opened) reject(err);
      });
      ws.on('close', (code) => {
        clearInterval(flusher);
        signal.removeEventListener('abort', stop);
        if (this.socket === ws) this.socket = undefined;
        if (opened) {
          this.deps.log?.(
            'info',
            `WebSocket connection closed (${code}); polling until it is back`,
          );
          resolve();
        } else reject(new Error(`the WebSocket closed before it opened (${code})`));
      });
    });
  }

  private sendSocket(ws: WebSocket, message: AgentMessage): void {
    const text = JSON.stringify(message);
    this.sent += Buffer.byteLength(text);
    ws.send(text);
  }

  private async onSocketMessage(ws: WebSocket, text: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.deps.log?.('warn', 'The hub sent a message that is not JSON; ignored');
      return;
    }
    const parsed = parseMessage('hub', json);
    if (!parsed.ok) {
      this.deps.log?.('warn', `The hub sent an invalid message, ignored: ${parsed.error}`);
      return;
    }
    const result = await this.handle(parsed.message);
    if (!result) return;
    if (ws.readyState === WebSocket.OPEN) this.sendSocket(ws, this.resultMessage(result));
    else
      // The socket closed while the action ran: its result still reaches the hub.
      await this.http('POST', 'agents/results', this.resultMessage(result)).catch((err: unknown) =>
        this.deps.log?.(
          'warn',
          `Reporting the result of ${result.actionId} failed: ${errorText(err)}`,
        ),
      );
  }

  /** What a hub message asks; an action's result, to send back. */
  private async handle(m: HubMessage): Promise<ActionResult | undefined> {
    switch (m.type) {
      case 'action':
        return this.deps.executor.execute(m.action, m.signature);
      case 'query':
        return this.deps.executor.query(m.query, m.signature);
      case 'ack':
        if (m.idempotencyKey) {
          this.inFlight.delete(m.idempotencyKey);
          await this.deps.outbox.ack(m.idempotencyKey);
          // A window of batches in flight: each ack lets the next one leave, so a backlog
          // drains at the speed of the link, not of the once-a-second flush.
          const ws = this.socket;
          if (ws?.readyState === WebSocket.OPEN) await this.flushSocket(ws);
        }
        return undefined;
      case 'config':
        this.deps.onConfig?.({
          ...(m.collectionIntervalSec !== undefined
            ? { collectionIntervalSec: m.collectionIntervalSec }
            : {}),
          ...(m.actionPollIntervalSec !== undefined
            ? { actionPollIntervalSec: m.actionPollIntervalSec }
            : {}),
          ...(m.batchSize !== undefined ? { batchSize: m.batchSize } : {}),
        });
        this.deps.log?.('info', 'Configuration updated by the hub');
        return undefined;
      case 'registered':
        return undefined;
    }
  }

  private resultMessage(r: ActionResult): AgentMessage {
    return this.message({ type: 'result', agentId: this.deps.agentId, ...r });
  }

  private ingestMessage(b: OutboxBatch<Item>): AgentMessage {
    return this.message({
      type: 'ingest',
      agentId: this.deps.agentId,
      idempotencyKey: b.idempotencyKey,
      seq: b.seq,
      kind: (b.meta?.kind ?? 'pod_metrics') as 'pod_metrics',
      collectedAtMs: Number(b.meta?.collectedAtMs ?? 0),
      items: b.items,
    });
  }

  /**
   * Sends the outbox's oldest batches not already waiting for their ack. One flush at a time:
   * acks come in bursts, and flushes started together would each read the same batches from
   * disk; a flush asked for while one runs runs once after it.
   */
  private async flushSocket(ws: WebSocket): Promise<void> {
    // The newest socket asked for is the one flushed (a reconnect may ask during a flush).
    this.flushTo = ws;
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = (async () => {
      try {
        do {
          this.flushAgain = false;
          await this.flushSocketOnce(this.flushTo ?? ws);
        } while (this.flushAgain && this.flushTo?.readyState === WebSocket.OPEN);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private async flushSocketOnce(ws: WebSocket): Promise<void> {
    const now = this.deps.clock.now();
    const resendMs = this.deps.resendAfterMs ?? 30_000;
    const waiting = (key: string) => {
      const sentAt = this.inFlight.get(key);
      return sentAt !== undefined && now - sentAt < resendMs;
    };
    for (const b of await this.deps.outbox.peek(BATCHES_AT_ONCE, waiting)) {
      if (ws.readyState !== WebSocket.OPEN) return;
      this.sendSocket(ws, this.ingestMessage(b));
      this.inFlight.set(b.idempotencyKey, now);
    }
  }

  /** Sends the outbox's oldest batches over HTTP; each answer is its ack. */
  private async flushHttp(): Promise<void> {
    let total = 0;
    for (const b of await this.deps.outbox.peek(BATCHES_AT_ONCE)) {
      const reply = parseMessage(
        'hub',
        await this.http('POST', 'agents/ingest', this.ingestMessage(b)),
      );
      if (
        reply.ok &&
        reply.message.type === 'ack' &&
        reply.message.idempotencyKey === b.idempotencyKey
      ) {
        await this.deps.outbox.ack(b.idempotencyKey);
        total += b.items.length;
      }
    }
    if (total > 0) this.deps.log?.('info', `Successfully sent ${total} metrics to backend`);
  }

  /** Asks for actions over HTTP and answers each. */
  private async pollOnce(): Promise<void> {
    const reply = (await this.http(
      'GET',
      `agents/actions?agent=${encodeURIComponent(this.deps.agentId)}`,
    )) as { messages?: unknown[] } | undefined;
    for (const raw of reply?.messages ?? []) {
      const parsed = parseMessage('hub', raw);
      if (!parsed.ok) {
        this.deps.log?.('warn', `The hub sent an invalid message, ignored: ${parsed.error}`);
        continue;
      }
      const result = await this.handle(parsed.message);
      if (result) await this.http('POST', 'agents/results', this.resultMessage(result));
    }
  }
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
