/**
 * Every POST route, fuzzed against its own OpenAPI description (testing/routeFuzz.ts): at
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
  return all.filter((e) => e.startsWith('POST '));
})();

describe('POST routes, fuzzed', () => {
  it('are all here', () => {
    expect(ENDPOINTS.length).toBeGreaterThan(10);
  });

  it.each(ENDPOINTS)(
    '%s',
    async (endpoint) => {
      const { failures, statuses, wrote } = await fuzzRoute(f, endpoint, RUNS);
      expect(failures).toEqual([]);
      // Requests that got through changed something, and the counting saw it.
      if (/set-pod-count|scale\/(in|out|all)|confirm/.test(endpoint))
        expect(wrote, JSON.stringify(statuses)).toBeGreaterThan(0);
      expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(RUNS);
    },
    120_000,
  );
});
