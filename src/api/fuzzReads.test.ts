/**
 * Every GET route, fuzzed against its own OpenAPI description (testing/routeFuzz.ts): at
 * least 10,000 generated requests each, every answer judged on its meaning — no 5xx, the
 * error shape, a 4xx that changed nothing, a GET that wrote nothing, a number not written in
 * decimal digits refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzApp, fuzzApp, fuzzRoute } from './testing/routeFuzz.js';

const RUNS = 10_000;
let f: FuzzApp;
beforeAll(async () => {
  f = await fuzzApp();
});
afterAll(async () => {
  await f.t.scaling.close();
  await f.t.app.close();
});

const ENDPOINTS = await (async () => {
  const app = await fuzzApp();
  const all = Object.keys(
    (await app.t.app.inject('/')).json<{ endpoints: Record<string, string> }>().endpoints,
  );
  await app.t.scaling.close();
  await app.t.app.close();
  return all.filter((e) => e.startsWith('GET '));
})();

describe('GET routes, fuzzed', () => {
  it('are all here', () => {
    expect(ENDPOINTS.length).toBeGreaterThan(10);
  });

  it.each(ENDPOINTS)(
    '%s',
    async (endpoint) => {
      const { failures, statuses } = await fuzzRoute(f, endpoint, RUNS);
      expect(failures).toEqual([]);
      expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(RUNS);
    },
    120_000,
  );
});
