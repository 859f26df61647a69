import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
let target: Server | undefined;
afterEach(async () => {
  await t?.app.close();
  await t?.scaling.close();
  t = undefined;
  await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
  target = undefined;
});

const replicas = async (app: SimApp, name = 'web') =>
  (await app.sim.getWorkload('default', name)).spec?.replicas;

describe('POST /pod/scale/in and /pod/scale/out', () => {
  it('moves by one within the bounds, 1 to 5 by default, and records each change', async () => {
    t = await simApp();
    const out = await t.app.inject({ method: 'POST', url: '/pod/scale/out' });
    expect(out.statusCode).toBe(200);
    expect(out.json()).toMatchObject({
      success: true,
      deployment: 'web',
      previous_pods: 2,
      pods: 3,
      changed: true,
      bounds: { min: 1, max: 5 },
    });
    expect(await replicas(t)).toBe(3);
    for (let i = 0; i < 4; i++) await t.app.inject({ method: 'POST', url: '/pod/scale/out' });
    expect(await replicas(t)).toBe(5);
    const atMax = await t.app.inject({ method: 'POST', url: '/pod/scale/out' });
    expect(atMax.json()).toMatchObject({ pods: 5, changed: false });

    for (let i = 0; i < 6; i++) await t.app.inject({ method: 'POST', url: '/pod/scale/in' });
    expect(await replicas(t)).toBe(1);
    const decisions = (await t.app.inject('/decisions?limit=100')).json<{
      decisions: {
        policy: string;
        outcome: string;
        replicas: { current: number; desired: number };
      }[];
    }>();
    expect(decisions.decisions).toHaveLength(7);
    expect(decisions.decisions[0]).toMatchObject({
      policy: 'manual',
      outcome: 'in_progress',
      replicas: { current: 2, desired: 1 },
    });
    // Each step superseded the one before it while its pods were still starting.
    expect(decisions.decisions.slice(1).every((d) => d.outcome === 'superseded')).toBe(true);
    // Every change has its Event, as the loop's do.
    expect(t.sim.events.filter((e) => e.event.reason === 'QpilotScaled')).toHaveLength(7);
  });

  it('waits for the rollout with ?wait=true', async () => {
    t = await simApp();
    const started = t.clock.now();
    // The new pod needs its 30 s startup: the answer comes once it is Ready.
    const res = await t.settle(t.app.inject({ method: 'POST', url: '/pod/scale/out?wait=true' }));
    expect(res.json()).toMatchObject({ pods: 3, outcome: 'applied' });
    expect(t.clock.now() - started).toBeGreaterThanOrEqual(30_000);
  });

  it('acts on the Deployment the query names, and refuses bad names', async () => {
    t = await simApp();
    const outside = await t.app.inject({
      method: 'POST',
      url: '/pod/scale/out?namespace=prod&deployment=api',
    });
    expect(outside.statusCode).toBe(403);
    expect(outside.json<{ error: string }>().error).toBe(
      'namespace "prod" is not one qpilot manages (namespaces: default)',
    );
    expect(await t.sim.getWorkload('prod', 'api')).toMatchObject({ spec: { replicas: 1 } });
    await t.app.inject({
      method: 'POST',
      url: '/config',
      payload: { namespaces: ['default', 'prod'] },
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/pod/scale/out?namespace=prod&deployment=api',
    });
    expect(res.json()).toMatchObject({ namespace: 'prod', deployment: 'api', pods: 2 });
    expect(
      (await t.app.inject({ method: 'POST', url: '/pod/scale/out?deployment=Nope_' })).statusCode,
    ).toBe(400);
    expect(
      (await t.app.inject({ method: 'POST', url: '/pod/scale/out?deployment=ghost' })).statusCode,
    ).toBe(404);
  });
});

describe('POST /pod/set-pod-count/:count', () => {
  it('sets the count within the pod bounds, and refuses what is not a count', async () => {
    t = await simApp();
    const res = await t.app.inject({ method: 'POST', url: '/pod/set-pod-count/4' });
    expect(res.json()).toMatchObject({ previous_pods: 2, pods: 4, clamped: false });
    expect(await replicas(t)).toBe(4);
    // --pod-max (5 by default) holds, and the answer says so.
    const high = await t.app.inject({ method: 'POST', url: '/pod/set-pod-count/1000' });
    expect(high.json()).toMatchObject({
      requested_pods: 1000,
      pods: 5,
      clamped: true,
      bounds: { min: 1, max: 5 },
    });
    expect(await replicas(t)).toBe(5);
    // Whatever Number() would read as a number is not a count unless it is decimal digits:
    // a blank once scaled the Deployment to 0.
    const notCounts = ['-1', 'three', '2.5', '10001', '0', '%20', '%09', '%0A', '%C2%A0'].concat([
      '0x10',
      '0o7',
      '0b11',
      '.5e1',
      '%2B1',
      '1e1',
      '1%20',
      'Infinity',
    ]);
    for (const bad of notCounts) {
      const r = await t.app.inject({ method: 'POST', url: `/pod/set-pod-count/${bad}` });
      expect(r.statusCode, bad).toBe(400);
      expect(r.json<{ error: string }>().error).toContain('count');
    }
    expect(await replicas(t)).toBe(5);
    const padded = await t.app.inject({ method: 'POST', url: '/pod/set-pod-count/003' });
    expect(padded.json()).toMatchObject({ requested_pods: 3, pods: 3 });
  });
});

describe('POST /pod/confirm', () => {
  it('deletes Pending pods and lists them', async () => {
    t = await simApp();
    // 40 pods of 250m do not fit on two 4-core nodes: the rest stay Pending.
    await t.sim.scaleWorkload('default', 'web', 40);
    t.advance(5_000);
    const before = (await t.app.inject('/pod')).json<{ pod_statuses: Record<string, number> }>();
    expect(before.pod_statuses.Pending).toBeGreaterThan(0);
    const res = await t.app.inject({ method: 'POST', url: '/pod/confirm' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      deleted_pods: { name: string; status: string }[];
      deleted_count: number;
    }>();
    expect(body.deleted_count).toBe(before.pod_statuses.Pending);
    expect(new Set(body.deleted_pods.map((p) => p.status))).toEqual(new Set(['Pending']));
  });
});

describe('GET /app/stat', () => {
  it('load-tests the target URL and computes the reward', async () => {
    let served = 0;
    target = createServer((_req, res) => {
      served++;
      res.end('ok');
    });
    await new Promise<void>((r) => target!.listen(0, '127.0.0.1', r));
    const { port } = target.address() as { port: number };
    t = await simApp({
      config: {
        targetUrl: `http://tester:s3cret@127.0.0.1:${port}`,
        loadTestDurationSec: 1,
        loadTestConnections: 2,
      },
    });
    const res = await t.app.inject('/app/stat');
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, number> & { load_test: { requests: number } }>();
    expect(body.load_test.requests).toBeGreaterThan(10);
    expect(served).toBeGreaterThan(10);
    expect(body.drop_percent).toBe(0);
    expect(body.average_latency_ms).toBeGreaterThanOrEqual(0);
    expect(body.reward).toBeGreaterThan(0);
    expect(body.reward).toBeLessThanOrEqual(1);
    expect(body.running_pods).toBe(2);
    expect(body.load_test).toMatchObject({ duration_seconds: 1, connections: 2 });
    // The target's credentials are used, never shown.
    expect(res.body).not.toContain('s3cret');
    expect(res.body).not.toContain('tester');
    expect(res.json<{ load_test: { url: string } }>().load_test.url).toBe(
      `http://127.0.0.1:${port}`,
    );
  });

  it('is an action: the API token, one at a time, the plan from the configuration, no HEAD', async () => {
    let served = 0;
    target = createServer((_req, res) => {
      served++;
      res.end('ok');
    });
    await new Promise<void>((r) => target!.listen(0, '127.0.0.1', r));
    const { port } = target.address() as { port: number };
    const token = 'api-token-0123456789abcdef';
    t = await simApp({
      config: {
        targetUrl: `http://127.0.0.1:${port}`,
        apiToken: token,
        loadTestDurationSec: 1,
        loadTestConnections: 1,
        rateLimitPerMin: 4,
      },
    });
    const auth = { authorization: `Bearer ${token}` };
    expect((await t.app.inject('/app/stat')).statusCode).toBe(401);
    expect(
      (await t.app.inject({ method: 'HEAD', url: '/app/stat', headers: auth })).statusCode,
    ).toBe(404);
    // The caller no longer chooses how long or how hard.
    for (const q of ['duration=60', 'connections=100']) {
      const r = await t.app.inject({ url: `/app/stat?${q}`, headers: auth });
      expect(r.statusCode, q).toBe(400);
    }
    expect(served).toBe(0);
    const [first, second] = await Promise.all([
      t.app.inject({ url: '/app/stat', headers: auth }),
      t.app.inject({ url: '/app/stat', headers: auth }),
    ]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 409]);
    // Counted with the changes by the rate limit: the 400s, the 200 and the 409 spent it.
    const limited = await t.app.inject({ url: '/app/stat', headers: auth });
    expect(limited.statusCode).toBe(429);
  });

  it('counts refused requests as dropped', async () => {
    target = createServer((_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    await new Promise<void>((r) => target!.listen(0, '127.0.0.1', r));
    const { port } = target.address() as { port: number };
    t = await simApp({
      config: {
        targetUrl: `http://127.0.0.1:${port}`,
        loadTestDurationSec: 1,
        loadTestConnections: 1,
      },
    });
    const body = (await t.app.inject('/app/stat')).json<{
      drop_percent: number;
      reward: number;
    }>();
    expect(body.drop_percent).toBe(100);
    expect(body.reward).toBeLessThan(0);
  });

  it('says when no target URL is configured, and bounds the test', async () => {
    t = await simApp();
    const res = await t.app.inject('/app/stat');
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toContain('QPILOT_TARGET_URL');
    expect((await t.app.inject('/app/stat?slo_ms=0x10')).statusCode).toBe(400);
  });
});

describe('POST /metrics sampler', () => {
  it('records every 0.2 s until stopped, and reads back as JSON and CSV', async () => {
    t = await simApp();
    const start = await t.app.inject({
      method: 'POST',
      url: '/metrics',
      payload: { action: 'start', series: 'run-1' },
    });
    expect(start.statusCode).toBe(200);
    expect(start.json()).toMatchObject({ series: 'run-1', running: true, interval_ms: 200 });
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      t.clock.advance(200);
    }
    const again = await t.app.inject({
      method: 'POST',
      url: '/metrics',
      payload: { action: 'start', series: 'run-1' },
    });
    expect(again.statusCode).toBe(409);
    const stop = await t.app.inject({
      method: 'POST',
      url: '/metrics',
      payload: { action: 'stop', series: 'run-1' },
    });
    expect(stop.json()).toMatchObject({ running: false });
    const json = (await t.app.inject('/metrics/series/run-1')).json<{
      count: number;
      samples: { online_pods: number; total_pods: number; cpu_percent: number }[];
    }>();
    expect(json.count).toBeGreaterThanOrEqual(8);
    expect(json.samples[0]).toMatchObject({ online_pods: 2, total_pods: 2 });
    const csv = await t.app.inject('/metrics/series/run-1?format=csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\n');
    expect(lines[0]).toBe(
      'timestamp,namespace,deployment,cpu_percent,memory_mb,online_pods,total_pods',
    );
    expect(lines).toHaveLength(json.count + 1);
    expect((await t.app.inject('/metrics/series')).json()).toMatchObject({
      series: [{ series: 'run-1', running: false }],
    });
    // Stopped, the name stays taken: another run under it would mix two series.
    const reuse = await t.app.inject({
      method: 'POST',
      url: '/metrics',
      payload: { action: 'start', series: 'run-1' },
    });
    expect(reuse.statusCode).toBe(409);
  });

  it.each([
    [{ action: 'pause' }, 400],
    [{ action: 'stop' }, 400],
    [{ action: 'stop', series: 'never' }, 404],
    [{ action: 'start', series: 'bad name!' }, 400],
    [{ action: 'start', interval_ms: 1 }, 400],
    [{ action: 'start', deployment: 'ghost' }, 404],
  ])('refuses %j', async (payload, status) => {
    t = await simApp();
    const res = await t.app.inject({ method: 'POST', url: '/metrics', payload });
    expect(res.statusCode).toBe(status);
    expect(res.json()).toMatchObject({ success: false });
  });

  it('answers 404 for a series never recorded', async () => {
    t = await simApp();
    expect((await t.app.inject('/metrics/series/none')).statusCode).toBe(404);
  });
});
