/**
 * Every POST route, fuzzed against its own OpenAPI description (testing/routeFuzz.ts): 10,000
 * generated requests each, every answer judged on its meaning — no 5xx, the error shape, a
 * 4xx that changed neither the cluster, the store nor the settings, a number not in decimal
 * digits refused.
 */
import { expect } from 'vitest';
import { describeRouteFuzz } from './testing/routeFuzz.js';

await describeRouteFuzz('POST', (endpoint, { statuses, wrote }) => {
  // Requests that got through changed something, and the counting saw it.
  if (/set-pod-count|scale\/(in|out|all)|confirm/.test(endpoint))
    expect(wrote, JSON.stringify(statuses)).toBeGreaterThan(0);
});
