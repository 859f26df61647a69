import { afterEach, describe, expect, it } from 'vitest';
import { type SimApp, simApp } from './testing/simApp.js';
import { tokenMatches } from './security.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.scaling.close();
  await t?.app.close();
  t = undefined;
});

const API = 'api-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const post = { method: 'POST' as const, url: '/config', payload: { scaling_cooldown: 5 } };

describe('bearer tokens', () => {
  it('requires the API token on mutating routes', async () => {
    t = await simApp({ config: { apiToken: API } });
    const none = await t.app.inject(post);
    expect(none.statusCode).toBe(401);
    expect(none.json<{ error: string }>().error).toContain('Authorization: Bearer');
    const wrong = await t.app.inject({ ...post, headers: { authorization: `Bearer ${READ}` } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).not.toContain(READ);
    const right = await t.app.inject({ ...post, headers: { authorization: `Bearer ${API}` } });
    expect(right.statusCode).toBe(200);
    // Read-only routes stay open while no read token is configured.
    expect((await t.app.inject('/config')).statusCode).toBe(200);
  });

  it('requires the read token (or the API token) on the rest when one is set; /health stays open', async () => {
    t = await simApp({ config: { apiToken: API, readToken: READ } });
    expect((await t.app.inject('/decisions')).statusCode).toBe(401);
    expect(
      (await t.app.inject({ url: '/decisions', headers: { authorization: `Bearer ${READ}` } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ url: '/decisions', headers: { authorization: `Bearer ${API}` } }))
        .statusCode,
    ).toBe(200);
    // The read token does not open mutating routes.
    expect(
      (await t.app.inject({ ...post, headers: { authorization: `Bearer ${READ}` } })).statusCode,
    ).toBe(401);
    expect((await t.app.inject('/health')).statusCode).toBe(200);
  });

  it('without an API token, accepts changes from loopback only', async () => {
    t = await simApp();
    expect((await t.app.inject(post)).statusCode).toBe(200);
    const remote = await t.app.inject({ ...post, remoteAddress: '10.1.2.3' });
    expect(remote.statusCode).toBe(401);
    expect(remote.json<{ error: string }>().error).toContain('QPILOT_API_TOKEN');
    expect((await t.app.inject({ url: '/config', remoteAddress: '10.1.2.3' })).statusCode).toBe(
      200,
    );
  });

  it('compares tokens whatever their lengths', () => {
    expect(tokenMatches(API, API)).toBe(true);
    expect(tokenMatches(API, `${API}x`)).toBe(false);
    expect(tokenMatches('', API)).toBe(false);
    expect(tokenMatches(undefined, API)).toBe(false);
    expect(tokenMatches(API, undefined)).toBe(false);
  });
});

describe('rate limit and CORS', () => {
  it('limits mutating requests per client, not reads', async () => {
    t = await simApp({ config: { rateLimitPerMin: 2 } });
    expect((await t.app.inject(post)).statusCode).toBe(200);
    expect((await t.app.inject(post)).statusCode).toBe(200);
    const third = await t.app.inject(post);
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ success: false, code: 'QP_ERR_RATE_LIMITED' });
    for (let i = 0; i < 5; i++) expect((await t.app.inject('/config')).statusCode).toBe(200);
  });

  it('admits only the configured origins', async () => {
    t = await simApp({ config: { corsOrigins: ['https://dash.example.com'] } });
    const ok = await t.app.inject({
      url: '/config',
      headers: { origin: 'https://dash.example.com' },
    });
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    const other = await t.app.inject({ url: '/config', headers: { origin: 'https://evil.test' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('cross-site requests and DNS rebinding', () => {
  const scaleTo1 = { method: 'POST' as const, url: '/pod/set-pod-count/1' };
  const replicas = async (s: SimApp) => (await s.sim.getWorkload('default', 'web')).spec?.replicas;

  it('refuses a change from another origin, and leaves the cluster alone', async () => {
    t = await simApp({ config: { corsOrigins: ['https://dash.example.com'] } });
    const before = await replicas(t);
    for (const headers of [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: 'http://localhost:8081' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const r = await t.app.inject({ ...scaleTo1, headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(403);
      expect(r.json()).toMatchObject({ success: false, code: 'QP_ERR_CROSS_SITE' });
    }
    expect(await replicas(t)).toBe(before);
    // The same request from qpilot's own page, a configured origin, or a tool that sends no
    // Origin is accepted.
    for (const headers of [
      { origin: 'http://localhost:80', host: 'localhost:80' },
      { origin: 'https://dash.example.com' },
      { 'sec-fetch-site': 'same-origin' },
      {},
    ]) {
      const r = await t.app.inject({ method: 'POST', url: '/autoscale/stop', headers });
      expect(r.statusCode, JSON.stringify(headers)).toBe(200);
    }
  });

  it('refuses the origin check even with a valid token', async () => {
    t = await simApp({ config: { apiToken: API } });
    const r = await t.app.inject({
      ...scaleTo1,
      headers: { authorization: `Bearer ${API}`, origin: 'https://evil.example' },
    });
    expect(r.statusCode).toBe(403);
  });

  it('answers a loopback client without a token only at a loopback or configured host name', async () => {
    t = await simApp({ config: { allowedHosts: ['qpilot.internal'] } });
    for (const host of [
      'evil.example',
      'evil.example:8080',
      '10.0.0.1:8080',
      'localhost.evil.example',
    ]) {
      const change = await t.app.inject({
        method: 'POST',
        url: '/autoscale/stop',
        headers: { host },
      });
      expect(change.statusCode, host).toBe(403);
      expect(change.json<{ error: string }>().error).toContain('not a loopback name');
      expect((await t.app.inject({ url: '/decisions', headers: { host } })).statusCode, host).toBe(
        403,
      );
    }
    for (const host of [
      'localhost:8080',
      '127.0.0.1',
      '[::1]:8080',
      'app.localhost',
      'QPILOT.internal:443',
    ]) {
      expect((await t.app.inject({ url: '/decisions', headers: { host } })).statusCode, host).toBe(
        200,
      );
    }
    // /health answers probes whatever they call it; remote clients are not trusted for being
    // remote, so their Host is theirs to choose.
    expect(
      (await t.app.inject({ url: '/health', headers: { host: 'evil.example' } })).statusCode,
    ).toBe(200);
    expect(
      (
        await t.app.inject({
          url: '/decisions',
          headers: { host: 'qpilot.svc' },
          remoteAddress: '10.1.2.3',
        })
      ).statusCode,
    ).toBe(200);
  });

  it('a token proves who asks, whatever the host name', async () => {
    t = await simApp({ config: { apiToken: API, readToken: READ } });
    const r = await t.app.inject({
      url: '/decisions',
      headers: { host: 'evil.example', authorization: `Bearer ${READ}` },
    });
    expect(r.statusCode).toBe(200);
  });

  it('counts rejected tokens per client, on every route', async () => {
    t = await simApp({ config: { apiToken: API, readToken: READ } });
    for (let i = 0; i < 10; i++) {
      const r = await t.app.inject({
        url: '/decisions',
        headers: { authorization: `Bearer guess-${i}` },
      });
      expect(r.statusCode).toBe(401);
    }
    // Even the right token is refused for the rest of the minute: guessing gains nothing.
    const next = await t.app.inject({
      url: '/decisions',
      headers: { authorization: `Bearer ${READ}` },
    });
    expect(next.statusCode).toBe(429);
    expect(next.json<{ error: string }>().error).toContain('rejected tokens');
    // Another client is not affected.
    const other = await t.app.inject({
      url: '/decisions',
      headers: { authorization: `Bearer ${READ}` },
      remoteAddress: '10.9.9.9',
    });
    expect(other.statusCode).toBe(200);
  });
});
