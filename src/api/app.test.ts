import { once } from 'node:events';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QpError } from '../core/errors.js';
import { failingCluster, type SimApp, simApp } from './testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

describe('GET /', () => {
  it('describes the service and lists every endpoint it serves', async () => {
    t = await simApp();
    const res = await t.app.inject('/');
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      service: string;
      version: string;
      endpoints: Record<string, string>;
    }>();
    expect(body.service).toBe('qpilot');
    expect(body.version).toBe('0.0.0-test');
    expect(Object.keys(body.endpoints)).toEqual(
      expect.arrayContaining([
        'GET /',
        'GET /health',
        'GET /pods',
        'GET /pods/:namespace/:pod',
        'GET /pod',
        'GET /nodes',
      ]),
    );
    expect(Object.keys(body.endpoints).some((k) => k.includes('/docs'))).toBe(false);
  });
});

describe('GET /health', () => {
  it('is healthy while the cluster answers', async () => {
    t = await simApp();
    const body = (await t.app.inject('/health')).json<Record<string, unknown>>();
    expect(body).toMatchObject({
      status: 'healthy',
      service: 'qpilot',
      checks: { cluster: { kind: 'sim', status: 'ok' } },
    });
    expect(body.timestamp).toBe('2026-01-01T00:02:00.000Z');
  });

  it('reports degraded, with the reason, when the cluster cannot be reached', async () => {
    t = await simApp({
      cluster: (sim) =>
        failingCluster(
          sim,
          () =>
            new QpError('QP_ERR_UNAVAILABLE', 'API server at https://127.0.0.1:6443 unreachable'),
        ),
    });
    const res = await t.app.inject('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'degraded',
      checks: {
        cluster: {
          status: 'unreachable',
          error: expect.stringContaining('unreachable') as unknown,
        },
      },
    });
  });
});

describe('errors', () => {
  it('answers 503 with the error format while the cluster is unavailable', async () => {
    t = await simApp({
      cluster: (sim) =>
        failingCluster(sim, () => new QpError('QP_ERR_UNAVAILABLE', 'cluster unreachable')),
    });
    const res = await t.app.inject('/pods');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      success: false,
      error: 'cluster unreachable',
      code: 'QP_ERR_UNAVAILABLE',
    });
  });

  it('hides the stack of an unexpected error behind a plain 500', async () => {
    t = await simApp({
      cluster: (sim) =>
        failingCluster(
          sim,
          () => new TypeError('cannot read properties of undefined (secret detail)'),
        ),
    });
    const res = await t.app.inject('/pods');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      success: false,
      error: 'internal error; the server log has the details',
      code: 'QP_ERR_INTERNAL',
    });
    expect(res.body).not.toMatch(/secret detail|at .*\.ts/);
  });

  it('answers an unknown route with 404 in the same format', async () => {
    t = await simApp();
    const res = await t.app.inject('/no/such/route?x=1');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      success: false,
      error: 'route GET /no/such/route not found',
      code: 'QP_ERR_NOT_FOUND',
    });
  });

  it('never answers random paths and queries with a 5xx', async () => {
    t = await simApp();
    const pieces = [
      'pods',
      'pod',
      'nodes',
      'default',
      'web',
      '%00',
      '..',
      'A',
      '-x-',
      "'",
      '%ZZ',
      'health',
      'x'.repeat(300),
    ];
    const queries = [
      '',
      '?namespace=',
      '?namespace=default',
      '?deployment=%',
      '?limit=abc',
      '?labelSelector=a%20in%20(',
      '?namespace[]=x',
      '?a=1&a=2',
    ];
    let seed = 1;
    const pick = <T>(xs: T[]) => xs[(seed = (seed * 16807) % 2147483647) % xs.length]!;
    for (let i = 0; i < 400; i++) {
      const depth = 1 + (i % 3);
      const path =
        '/' + Array.from({ length: depth }, () => pick(pieces)).join('/') + pick(queries);
      const res = await t.app.inject(path);
      expect(res.statusCode, path).toBeLessThan(500);
      if (res.statusCode >= 400) expect(res.json<{ success: boolean }>().success, path).toBe(false);
    }
  });
});

describe('requests that never end well', () => {
  it('names a path parameter that is too long, in the error shape', async () => {
    t = await simApp();
    for (const n of [150, 253, 300]) {
      const res = await t.app.inject({ url: `/pods/default/${'a'.repeat(n)}` });
      const body = res.json<{ success: boolean; error: string }>();
      expect(res.statusCode, String(n)).toBe(n <= 253 ? 404 : 400);
      expect(body.success).toBe(false);
      expect(body.error).not.toContain('malformed URL');
      if (n > 253) expect(body.error).toContain('path parameter "pod"');
    }
  });

  it('drops a request whose body never arrives whole, within the request timeout', async () => {
    t = await simApp({ requestTimeoutMs: 1_000 });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const started = performance.now();
    socket.write(
      'POST /config HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"scaling_',
    );
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    await once(socket, 'close');
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  });
});

describe('GET /docs', () => {
  it('serves Swagger UI and the OpenAPI document with every route', async () => {
    t = await simApp();
    const ui = await t.app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    const doc = (await t.app.inject('/docs/json')).json<{
      openapi: string;
      paths: Record<string, unknown>;
    }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/',
        '/health',
        '/pods',
        '/pods/{namespace}/{pod}',
        '/pod',
        '/nodes',
      ]),
    );
  });
});
