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
