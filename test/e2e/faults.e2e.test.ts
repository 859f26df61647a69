/**
 * The API server goes away and comes back: at start (through a loopback proxy that is not
 * listening yet) and in the middle of a run (kube-apiserver itself is stopped and restarted).
 * qpilot must report degraded health, answer 503 with a clear error, stay up, and recover.
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adminConfig,
  component,
  componentPidFile,
  e2eEnv,
  eventually,
  kubectl,
} from './lib/e2eEnv.js';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';

const running: ServeProcess[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
});

function apiServerAddress(): { host: string; port: number } {
  const url = new URL(adminConfig().getCurrentCluster()!.server);
  return { host: url.hostname, port: Number(url.port) };
}

/** A TCP proxy on loopback in front of the API server (TLS passes through untouched). */
function proxy(port: number): Promise<{ close(): Promise<void> }> {
  const target = apiServerAddress();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () =>
      resolve({
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function kubeconfigVia(port: number): string {
  const env = e2eEnv();
  const path = join(env.workdir, `kubeconfig-proxy-${port}`);
  const original = readFileSync(env.kubeconfig, 'utf8');
  writeFileSync(
    path,
    original.replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${port}`),
  );
  return path;
}

async function expectDegraded(serve: ServeProcess): Promise<void> {
  const health = await eventually(
    'degraded health',
    async () => {
      const h = await serve.get('/health');
      return h.body.status === 'degraded' ? h : undefined;
    },
    60_000,
    500,
  );
  expect(health.status).toBe(200);
  expect(health.body.checks).toMatchObject({
    cluster: {
      kind: 'kube',
      status: 'unreachable',
      error: expect.stringMatching(/unreachable|no answer/) as unknown,
    },
  });
  const pods = await serve.get('/pods');
  expect(pods.status).toBe(503);
  expect(pods.body).toMatchObject({
    success: false,
    code: 'QP_ERR_UNAVAILABLE',
    error: expect.stringMatching(
      /^cannot list pods in namespace "default": the Kubernetes API server is unreachable/,
    ) as unknown,
  });
  expect(serve.child.exitCode).toBeNull();
}

async function expectRecovered(serve: ServeProcess): Promise<void> {
  await eventually(
    'recovered health',
    async () => ((await serve.get('/health')).body.status === 'healthy' ? true : undefined),
    90_000,
    1_000,
  );
  expect((await serve.get('/pods')).status).toBe(200);
  expect(serve.child.exitCode).toBeNull();
}

describe('an unreachable API server', () => {
  it('at start: serves degraded, answers 503, and recovers when the server appears', async () => {
    const port = await freePort();
    const serve = await startServe([
      '--kubeconfig',
      kubeconfigVia(port),
      '--kube-timeout-ms',
      '2000',
    ]);
    running.push(serve);
    await expectDegraded(serve);
    const p = await proxy(port);
    try {
      await expectRecovered(serve);
    } finally {
      await p.close();
    }
  });

  it('during a run: kube-apiserver stopped and restarted', async () => {
    const serve = await startServe([
      '--kubeconfig',
      e2eEnv().kubeconfig,
      '--kube-timeout-ms',
      '2000',
    ]);
    running.push(serve);
    expect((await serve.get('/health')).body.status).toBe('healthy');

    const apiserver = component('kube-apiserver');
    const pidFile = componentPidFile('kube-apiserver');
    process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    try {
      // Its port closing is what counts (the process may linger unreaped as a zombie).
      await eventually(
        'kube-apiserver to stop',
        () => (kubectl(['get', '--raw', '/readyz']).status !== 0 ? true : undefined),
        30_000,
        200,
      );
      await expectDegraded(serve);
    } finally {
      // Start it again exactly as kwokctl did, so that later suites and teardown find it.
      const log = openSync(join(apiserver.workDir, 'logs', 'kube-apiserver.log'), 'a');
      const child = spawn(apiserver.binary, apiserver.args, {
        cwd: apiserver.workDir,
        detached: true,
        stdio: ['ignore', log, log],
      });
      child.unref();
      writeFileSync(pidFile, String(child.pid));
      await eventually(
        'kube-apiserver to be ready',
        () => (kubectl(['get', '--raw', '/readyz']).status === 0 ? true : undefined),
        90_000,
        1_000,
      );
    }
    await expectRecovered(serve);
  });
});
