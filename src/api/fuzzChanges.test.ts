/**
 * Every POST route, fuzzed against its own OpenAPI description (testing/routeFuzz.ts): 10,000
 * generated requests each, every answer judged on its meaning — no 5xx, the error shape, a
 * 4xx that changed neither the cluster, the store nor the settings, a number not in decimal
 * digits refused. The fleet's copies of the cluster routes (`/clusters/:cluster/…`) included.
 */
import { expect, it } from 'vitest';
import { describeRouteFuzz, fuzzApp } from './testing/routeFuzz.js';

await describeRouteFuzz('POST', (endpoint, { statuses, wrote }) => {
  // Requests that got through changed something, and the counting saw it. (A fleet copy's
  // settings may have been fuzzed into excluding every workload: its writes are shown below.)
  if (/^POST \/(?!clusters\/).*(set-pod-count|scale\/(in|out|all)|confirm)/.test(endpoint))
    expect(wrote, JSON.stringify(statuses)).toBeGreaterThan(0);
});

it("counts the writes of the fleet's cluster, as the home cluster's", async () => {
  const f = await fuzzApp();
  try {
    for (const url of ['/clusters/east/scale/all', '/scale/all']) {
      f.writes.store = 0;
      const res = await f.t.app.inject({ method: 'POST', url });
      expect(res.statusCode).toBe(200);
      expect(f.writes.store).toBeGreaterThan(0);
    }
  } finally {
    await f.t.scaling.close();
    await f.t.member?.scaling.close();
    await f.t.app.close();
  }
});
