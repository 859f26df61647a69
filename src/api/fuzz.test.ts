/**
 * Thousands of random requests to every route: random JSON bodies (and bodies that are not
 * JSON at all), random path parameters and query strings. Only 2xx and 4xx answers are
 * acceptable, every error is `{"success": false, "error": "..."}`, and the server still
 * answers afterwards.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { simApp } from './testing/simApp.js';

const STRINGS = [
  '',
  ' ',
  'web',
  'default',
  'Bad_Name',
  '../../etc/passwd',
  '%00',
  '%',
  'null',
  'true',
  '-1',
  '0',
  '1e309',
  'NaN',
  '__proto__',
  'constructor',
  '💥',
  'a'.repeat(300),
  "'; DROP TABLE decisions; --",
  '{"a":1}',
];

function randomValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(0, depth > 2 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return [0, -1, 1.5, 1e308, -1e308, 2 ** 53, 30, 5][rng.int(0, 7)];
    case 3:
    case 4:
      return STRINGS[rng.int(0, STRINGS.length - 1)];
    case 5:
      return rng.alphanumeric(rng.int(0, 12));
    case 6:
      return Array.from({ length: rng.int(0, 4) }, () => randomValue(rng, depth + 1));
    default: {
      const keys = [
        'dry_run',
        'containers',
        'action',
        'series',
        'nginx',
        'requests',
        'cpu',
        'memory',
        'namespaces',
        'excluded_labels',
        'auto_scale_enabled',
        'auto_scale_interval',
        '__proto__',
        rng.alphanumeric(5),
      ];
      const out: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--)
        out[keys[rng.int(0, keys.length - 1)]!] = randomValue(rng, depth + 1);
      return out;
    }
  }
}

function randomSegment(rng: Rng): string {
  const s = rng.next() < 0.7 ? String(randomValue(rng, 3)) : rng.alphanumeric(rng.int(1, 20));
  return encodeURIComponent(s) || 'x';
}

function randomQuery(rng: Rng): string {
  const keys = [
    'limit',
    'namespace',
    'deployment',
    'format',
    'enable_horizontal_fallback',
    'duration',
    'labelSelector',
    rng.alphanumeric(3),
  ];
  const parts: string[] = [];
  for (let i = rng.int(0, 3); i > 0; i--)
    parts.push(`${keys[rng.int(0, keys.length - 1)]}=${randomSegment(rng)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

describe('fuzzing every route', () => {
  it('answers thousands of random requests with 2xx or 4xx only, and stays up', async () => {
    // No load-test target: /app/stat answers 400 instead of spending seconds per request.
    const t = await simApp({ config: { rateLimitPerMin: 1_000_000 } });
    const endpoints = Object.keys(
      (await t.app.inject('/')).json<{ endpoints: Record<string, string> }>().endpoints,
    );
    expect(endpoints.length).toBeGreaterThan(25);
    const rng = new Rng('fuzz');
    const failures: string[] = [];
    let sent = 0;
    const byStatus = new Map<number, number>();
    for (const endpoint of endpoints) {
      const [method, path] = endpoint.split(' ') as ['GET' | 'POST', string];
      for (let i = 0; i < 400; i++) {
        const url = path.replace(/:[a-z]+/g, () => randomSegment(rng)) + randomQuery(rng);
        const raw = rng.next() < 0.15;
        const res = await t.app.inject({
          method,
          url,
          ...(method === 'POST'
            ? raw
              ? {
                  payload: ['{', 'nul', '[1,', '"', '{"a":}', '\u0000'][rng.int(0, 5)]!,
                  headers: { 'content-type': 'application/json' },
                }
              : {
                  payload: JSON.stringify(randomValue(rng)),
                  headers: { 'content-type': 'application/json' },
                }
            : {}),
        });
        sent++;
        byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode >= 500 || res.statusCode < 200)
          failures.push(`${method} ${url} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
        else if (res.statusCode >= 400) {
          const body = res.json<{ success: boolean; error: string }>();
          if (body.success !== false || typeof body.error !== 'string' || body.error.length === 0)
            failures.push(`${method} ${url} -> ${res.statusCode} without an error message`);
          if (/\n\s+at /.test(body.error)) failures.push(`${method} ${url} leaked a stack trace`);
        }
      }
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(sent).toBeGreaterThan(10_000);
    // The handlers were reached, not only the validation in front of them.
    const ok = [...byStatus].filter(([s]) => s < 300).reduce((n, [, c]) => n + c, 0);
    expect(ok, JSON.stringify([...byStatus])).toBeGreaterThan(500);
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    await t.scaling.close();
    await t.app.close();
  }, 180_000);
});
