/**
 * A hub for the agent's tests, on loopback: HTTP routes and a WebSocket endpoint that record
 * what the agent sends, acknowledge its batches and hand out queued actions. Not qpilot's hub
 * (that is `qpilot serve`, src/api/hub/): just enough of the protocol to test the link alone.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export const API_KEY = 'k'.repeat(32);

export interface FakeHub {
  url: string;
  received: Record<string, unknown>[];
  sockets: WebSocket[];
  /** Actions handed out to the next poll. */
  queued: unknown[];
  close(): Promise<void>;
}

export async function fakeHub(options: { socket: boolean }): Promise<FakeHub> {
  const received: Record<string, unknown>[] = [];
  const sockets: WebSocket[] = [];
  const queued: unknown[] = [];
  const body = (req: IncomingMessage) =>
    new Promise<Record<string, unknown>>((resolve) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => resolve(text ? (JSON.parse(text) as Record<string, unknown>) : {}));
    });
  const reply = (m: Record<string, unknown>) => ({ v: 1, id: `hub-${received.length}`, ...m });
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== `Bearer ${API_KEY}`) {
        res.writeHead(401).end('{}');
        return;
      }
      const msg = req.method === 'POST' ? await body(req) : {};
      if (req.method === 'POST') received.push(msg);
      let out: unknown = reply({ type: 'ack', re: msg.id });
      if (req.url === '/agents/register')
        out = reply({ type: 'registered', re: msg.id, heartbeatIntervalSec: 30 });
      if (req.url === '/agents/ingest')
        out = reply({ type: 'ack', re: msg.id, idempotencyKey: msg.idempotencyKey });
      if (req.url?.startsWith('/agents/actions')) out = { messages: queued.splice(0) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
    })();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, sock, head) => {
    if (!options.socket) {
      sock.destroy();
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => {
      sockets.push(ws);
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as Record<string, unknown>;
        received.push(msg);
        if (msg.type === 'ingest')
          ws.send(
            JSON.stringify(reply({ type: 'ack', re: msg.id, idempotencyKey: msg.idempotencyKey })),
          );
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `127.0.0.1:${port}`,
    received,
    sockets,
    queued,
    close: async () => {
      for (const s of sockets) s.terminate();
      wss.close();
      await new Promise((r) => server.close(r));
    },
  };
}
