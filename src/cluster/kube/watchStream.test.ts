/**
 * The event feed's WatchStream against a stand-in API server on loopback: it lists in pages,
 * watches from the listing's version, resumes from the last version seen when a watch ends,
 * lists again only after a 410, and then forwards no event it already forwarded.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeEventFeed } from './kubeEventFeed.js';

function event(name: string, resourceVersion: string, second: number) {
  return {
    metadata: { name, namespace: 'shop', resourceVersion },
    involvedObject: { kind: 'Pod', name: `${name}-pod` },
    reason: 'Started',
    lastTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString(),
  };
}

type Handler = (url: URL, res: ServerResponse) => void;

async function apiServer(handle: Handler) {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(`${url.pathname}?${url.searchParams.toString()}`);
    handle(url, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, requests, close: () => new Promise((r) => server.close(r)) };
}

function json(res: ServerResponse, body: unknown) {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, probe: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('KubeEventFeed (a WatchStream)', () => {
  it('lists in pages, watches from there, resumes, and lists again only after a 410', async () => {
    let watches = 0;
    let listings = 0;
    const api = await apiServer((url, res) => {
      if (url.searchParams.get('watch') !== 'true') {
        listings++;
        if (listings === 1 && !url.searchParams.get('continue'))
          return json(res, {
            items: [event('a', '5', 1)],
            metadata: { resourceVersion: '10', continue: 'page-2' },
          });
        if (listings === 2) return json(res, { items: [event('b', '6', 2)], metadata: {} });
        // After the 410: the old events again, and one the watch never delivered.
        return json(res, {
          items: [event('a', '5', 1), event('b', '6', 2), event('d', '30', 9)],
          metadata: { resourceVersion: '40' },
        });
      }
      watches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`);
      if (watches === 1) {
        line({ type: 'ADDED', object: event('c', '11', 5) });
        line({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });
        // The API server ends a watch after a while; the stream resumes from version 12.
        setTimeout(() => res.end(), 1200);
      } else if (watches === 2) {
        line({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
        res.end();
      } else {
        line({ type: 'MODIFIED', object: event('e', '41', 10) });
      }
    });
    cleanups.push(api.close);
    const feed = new KubeEventFeed(api.kc, { requestTimeoutMs: 5000, pageSize: 1 });
    cleanups.push(() => feed.stop());
    await feed.start();
    const seen: string[] = [];
    await until('the event after the second listing', () => {
      seen.push(...feed.drain().map((e) => String(e.name)));
      return seen.includes('e');
    });
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    const watchQueries = api.requests.filter((r) => r.includes('watch=true'));
    expect(watchQueries[0]).toContain('resourceVersion=10');
    expect(watchQueries[1]).toContain('resourceVersion=12');
    expect(watchQueries[2]).toContain('resourceVersion=40');
    expect(api.requests.filter((r) => r.includes('limit=1'))).toHaveLength(3);
  }, 20_000);
});
