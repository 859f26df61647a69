/**
 * client-node's HTTP layer with a request timeout and kept-alive connections. Its default
 * library has no timeout, so a hung API server would hang every caller; this one gives up
 * after `timeoutMs` and the failure becomes QP_ERR_UNAVAILABLE like any other unreachable
 * server. And client-node makes a new agent for every request, so every call paid a TCP and
 * TLS handshake (CPU, and memory the allocator keeps: most of the agent's churn in a round of
 * collection); requests here share one keep-alive agent per TLS identity.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import {
  type HttpLibrary,
  Observable,
  type RequestContext,
  ResponseContext,
} from '@kubernetes/client-node';
import fetch from 'node-fetch';

const shared = new Map<string, http.Agent>();

/** Options that decide who the client is and whom it trusts: requests alike share a pool. */
const IDENTITY = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'];

/**
 * The kept-alive agent with the same TLS options as `fresh`, the agent client-node made for
 * this request. Proxy agents (any other class) are used as they are.
 */
export function keptAlive(fresh: http.Agent | undefined): http.Agent | undefined {
  if (!fresh || (fresh.constructor !== https.Agent && fresh.constructor !== http.Agent))
    return fresh;
  const options = (fresh as http.Agent & { options: Record<string, unknown> }).options;
  const identity = createHash('sha256')
    .update(fresh.constructor === https.Agent ? 'https' : 'http')
    .update(
      JSON.stringify(
        IDENTITY.map((k) => options[k]),
        (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('base64') : v),
      ),
    )
    .digest('hex');
  let agent = shared.get(identity);
  if (!agent) {
    // A rotated certificate makes a new identity; the old pool's sockets simply age out.
    const Agent = fresh.constructor === https.Agent ? https.Agent : http.Agent;
    agent = new Agent({ ...options, keepAlive: true, maxFreeSockets: 4, scheduling: 'lifo' });
    shared.set(identity, agent);
    // Identities only change when credentials rotate: the oldest pool goes.
    if (shared.size > 8) {
      const [oldest, pool] = shared.entries().next().value as [string, http.Agent];
      shared.delete(oldest);
      pool.destroy();
    }
  }
  return agent;
}

export class TimeoutFetchLibrary implements HttpLibrary {
  constructor(private readonly timeoutMs: number) {}

  send(request: RequestContext): Observable<ResponseContext> {
    const result = fetch(request.getUrl(), {
      method: request.getHttpMethod().toString(),
      body: request.getBody() as string | undefined,
      headers: request.getHeaders(),
      agent: keptAlive(request.getAgent()),
      // node-fetch 2's own timeout covers the connection and the whole response body.
      timeout: this.timeoutMs,
    }).then((resp) => {
      const headers: Record<string, string> = {};
      resp.headers.forEach((value, name) => {
        headers[name] = value;
      });
      return new ResponseContext(resp.status, headers, {
        text: () => resp.text(),
        binary: () => resp.buffer(),
      });
    });
    return new Observable(result);
  }
}
