/**
 * The agent's link against a fake hub on loopback (an HTTP server with a WebSocket endpoint):
 * registration, actions and results over the socket, batches acknowledged out of the outbox,
 * and HTTP polling while the socket is refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RealClock } from '../core/clock.js';
import type { Action } from '../core/protocol.js';
import { Rng } from '../core/rng.js';
import { sign } from '../core/signing.js';
import type { Item } from './collector.js';
import { HubConnection } from './connection.js';
import type { ActionResult } from './executor.js';
import { Outbox } from './outbox.js';
import { API_KEY, type FakeHub, fakeHub } from './testing/fakeHub.js';

const SECRET = 's'.repeat(32);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function connect(hub: FakeHub) {
  const outbox = await Outbox.open<Item>(mkdtempSync(join(tmpdir(), 'qpilot-link-')));
  const executed: Action[] = [];
  const logs: string[] = [];
  const link = new HubConnection({
    backendUrl: new URL(`http://${hub.url}/`),
    backendWsUrl: new URL(`ws://${hub.url}/agents/ws`),
    apiKey: API_KEY,
    clusterId: 'c1',
    agentId: 'a1',
    version: '0.1.0',
    pollIntervalSec: () => 1,
    clock: new RealClock(),
    rng: new Rng('link'),
    outbox,
    executor: {
      actions: () => ['scale'],
      execute: (action): Promise<ActionResult> => {
        executed.push(action);
        return Promise.resolve({
          actionId: action.id,
          outcome: 'succeeded',
          message: 'done',
          finishedAtMs: 1,
        });
      },
      query: (q): Promise<ActionResult> =>
        Promise.resolve({ actionId: q.id, outcome: 'succeeded', message: q.op, finishedAtMs: 1 }),
    },
    log: (_level, m) => logs.push(m),
  });
  const controller = new AbortController();
  const running = link.run(controller.signal);
  cleanups.push(async () => {
    controller.abort();
    await running;
  });
  return { link, outbox, executed, logs };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const scale: Action = { id: 'a-1', type: 'scale', namespace: 'shop', name: 'web', replicas: 3 };
const actionMessage = (a: Action) => ({
  v: 1,
  type: 'action',
  id: 'm-a',
  action: a,
  signature: sign(SECRET, a, Date.now()),
});

describe('the link to the hub', () => {
  it('registers, takes actions over the socket, answers them, and empties the outbox on acks', async () => {
    const hub = await fakeHub({ socket: true });
    cleanups.push(() => hub.close());
    const t = await connect(hub);
    await t.outbox.add([{ pod: 'web-1', cpu: '10m' }], { kind: 'pod_metrics', collectedAtMs: 5 });
    await until('the socket', () => hub.sockets.length === 1);
    expect(t.link.registered()).toBe(true);
    expect(hub.received[0]).toMatchObject({
      type: 'register',
      clusterId: 'c1',
      agentId: 'a1',
      actions: ['scale'],
    });
    await until('the channel', () => t.link.channel() === 'websocket');
    hub.sockets[0]!.send(JSON.stringify(actionMessage(scale)));
    const result = await until('the result', () => hub.received.find((m) => m.type === 'result'));
    expect(result).toMatchObject({ actionId: 'a-1', outcome: 'succeeded', agentId: 'a1' });
    expect(t.executed).toEqual([scale]);
    await until('the ack', () => t.outbox.size === 0);
    expect(hub.received.find((m) => m.type === 'ingest')).toMatchObject({
      kind: 'pod_metrics',
      seq: 1,
    });
    expect(t.logs).toContain('WebSocket connection established');
    expect(t.link.bytesSent()).toBeGreaterThan(0);
    // An invalid message is ignored and logged, not acted on.
    hub.sockets[0]!.send(
      JSON.stringify({ v: 1, type: 'action', id: 'x', action: { id: 'b', type: 'rm -rf' } }),
    );
    await until('the warning', () =>
      t.logs.some((l) => l.startsWith('The hub sent an invalid message')),
    );
    expect(t.executed).toHaveLength(1);
  });

  it('reads each batch from disk about once, however the acks bunch up', async () => {
    const hub = await fakeHub({ socket: true });
    cleanups.push(() => hub.close());
    const t = await connect(hub);
    for (let i = 0; i < 200; i++)
      await t.outbox.add([{ pod: `web-${i}` }], { kind: 'pod_metrics', collectedAtMs: i });
    let read = 0;
    const peek = t.outbox.peek.bind(t.outbox);
    t.outbox.peek = async (...args) => {
      const out = await peek(...args);
      read += out.length;
      return out;
    };
    await until('the outbox drained', () => t.outbox.size === 0, 20_000);
    const sent = hub.received.filter((m) => m.type === 'ingest').length;
    // Sent once each (no ack is lost here), and read little more than once.
    expect(sent).toBe(200);
    expect(read).toBeLessThan(200 * 1.5);
  });

  it('polls over HTTP while the socket is refused, and sends batches there', async () => {
    const hub = await fakeHub({ socket: false });
    cleanups.push(() => hub.close());
    hub.queued.push(actionMessage({ ...scale, id: 'a-2' }));
    const t = await connect(hub);
    await t.outbox.add([{ node: 'n1' }], { kind: 'nodes', collectedAtMs: 5 });
    const result = await until('the result over HTTP', () =>
      hub.received.find((m) => m.type === 'result'),
    );
    expect(result).toMatchObject({ actionId: 'a-2', outcome: 'succeeded' });
    await until('the outbox emptied over HTTP', () => t.outbox.size === 0);
    expect(t.link.channel()).toBe('polling');
    expect(t.logs.some((l) => l.startsWith('WebSocket connection failed'))).toBe(true);
    // Said once the round of sending ends, a moment after the last ack emptied the outbox.
    await until('the log line', () => t.logs.includes('Successfully sent 1 metrics to backend'));
  });
});
