import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { PrometheusSource, podRegex, prometheusServiceSignals } from './prometheus.js';

// A stand-in that speaks Prometheus' HTTP API on loopback: it answers from a table of queries,
// so these tests check the requests qpilot sends and how it reads the answers.
let server: Server | undefined;
const seen: string[] = [];

async function fakePrometheus(
  answer: (query: string) => { status: number; body: unknown },
): Promise<string> {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = url.searchParams.get('query') ?? '';
    seen.push(`${url.pathname} ${query}`);
    const { status, body } = answer(query);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const vector = (...values: number[]) => ({
  status: 'success',
  data: {
    resultType: 'vector',
    result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1_700_000_000, String(v)] })),
  },
});

afterEach(async () => {
  seen.length = 0;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('PrometheusSource', () => {
  it("asks for a Deployment's CPU, memory and p95 latency and reads the answers", async () => {
    const url = await fakePrometheus((q) => {
      if (q.includes('container_cpu_usage_seconds_total'))
        return { status: 200, body: vector(0.25, 0.5) };
      if (q.includes('container_memory_working_set_bytes'))
        return { status: 200, body: vector(128 * 2 ** 20) };
      return { status: 200, body: vector(0.042) };
    });
    const prom = new PrometheusSource(url, new ManualClock(1_700_000_000_000));
    expect(await prom.workloadSignals('shop', 'web')).toEqual({
      cpuCores: 0.75,
      memoryBytes: 128 * 2 ** 20,
      latencyP95Ms: 42,
    });
    expect(seen).toContain(
      '/api/v1/query sum(rate(container_cpu_usage_seconds_total{namespace="shop",pod=~"web-[a-z0-9]+-[a-z0-9]+",container!=""}[1m]))',
    );
  });

  it('gives null for series that do not exist, and reads scalars', async () => {
    const url = await fakePrometheus((q) =>
      q === 'scalar(1)'
        ? {
            status: 200,
            body: { status: 'success', data: { resultType: 'scalar', result: [1, '1'] } },
          }
        : { status: 200, body: vector() },
    );
    const prom = new PrometheusSource(url, new ManualClock(0));
    expect(await prom.workloadSignals('a', 'b')).toEqual({
      cpuCores: null,
      memoryBytes: null,
      latencyP95Ms: null,
    });
    expect(await prom.query('scalar(1)')).toBe(1);
  });

  it('reports a bad query and an unreachable server clearly', async () => {
    const url = await fakePrometheus(() => ({
      status: 400,
      body: { status: 'error', errorType: 'bad_data', error: 'parse error at char 5' },
    }));
    const prom = new PrometheusSource(url, new ManualClock(0));
    await expect(prom.query('sum(')).rejects.toMatchObject({
      code: 'QP_ERR_INVALID_ARGUMENT',
      message: 'Prometheus refused the query sum(: bad_data parse error at char 5',
    });
    const gone = new PrometheusSource('http://127.0.0.1:1', new ManualClock(0), {
      timeoutMs: 1000,
    });
    await expect(gone.query('up')).rejects.toMatchObject({ code: 'QP_ERR_UNAVAILABLE' });
  });

  it('escapes dots in pod name patterns', () => {
    expect(podRegex('api.v2')).toBe('api\\\\.v2-[a-z0-9]+-[a-z0-9]+');
  });
});

describe('prometheusServiceSignals', () => {
  it("gives the loop a Deployment's p95 latency, and nothing for one without samples", async () => {
    const url = await fakePrometheus((q) =>
      q.includes('"web-') ? { status: 200, body: vector(0.118) } : { status: 200, body: vector() },
    );
    const clock = new ManualClock(1_700_000_000_000);
    const signals = prometheusServiceSignals(new PrometheusSource(url, clock), clock);
    expect(await signals.serviceSignals('shop', 'web')).toEqual({
      latencyP95Ms: 118,
      windowMs: 60_000,
      timestampMs: 1_700_000_000_000,
    });
    expect(await signals.serviceSignals('shop', 'api')).toBeUndefined();
    expect(seen.every((q) => q.includes('http_request_duration_seconds_bucket'))).toBe(true);
  });
});
