/**
 * `/health` latency while 20 clients poll `/statistics` over a SQLite store of 100,000
 * decisions: qpilot as it is (running totals) beside the full-table aggregates it used before,
 * in the same run. Target: /health p99 at most 50 ms.
 */
import autocannon from 'autocannon';
import { emit, median, startChildServer } from './lib.js';

async function measure(mode: 'scan' | 'totals', durationSec: number) {
  const server = await startChildServer('statisticsServer', [mode]);
  try {
    const pollers = autocannon({
      url: `${server.url}/statistics`,
      connections: 20,
      duration: durationSec,
    });
    const latencies: number[] = [];
    const endMs = performance.now() + durationSec * 1000 - 500;
    while (performance.now() < endMs) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/health`);
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 20));
    }
    const polled = await pollers;
    latencies.sort((a, b) => a - b);
    const p = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return {
      healthP50Ms: Number(p(0.5).toFixed(1)),
      healthP99Ms: Number(p(0.99).toFixed(1)),
      healthSamples: latencies.length,
      statisticsPerSec: Math.round(polled.requests.average),
      statisticsNon2xx: polled.non2xx,
    };
  } finally {
    await server.stop();
  }
}

export async function healthUnderStatistics(rounds = 2, durationSec = 10): Promise<void> {
  const scan: Awaited<ReturnType<typeof measure>>[] = [];
  const totals: Awaited<ReturnType<typeof measure>>[] = [];
  for (let i = 0; i < rounds; i++) {
    scan.push(await measure('scan', durationSec));
    totals.push(await measure('totals', durationSec));
  }
  const m = (xs: typeof scan, k: keyof (typeof scan)[number]) => median(xs.map((x) => x[k]));
  emit({
    bench: 'health-under-statistics',
    decisions: 100_000,
    pollers: 20,
    durationSec,
    rounds,
    before: {
      healthP99Ms: m(scan, 'healthP99Ms'),
      healthP50Ms: m(scan, 'healthP50Ms'),
      statisticsPerSec: m(scan, 'statisticsPerSec'),
    },
    after: {
      healthP99Ms: m(totals, 'healthP99Ms'),
      healthP50Ms: m(totals, 'healthP50Ms'),
      statisticsPerSec: m(totals, 'statisticsPerSec'),
    },
    p99Ratio: Number((m(totals, 'healthP99Ms') / m(scan, 'healthP99Ms')).toFixed(3)),
    targetHealthP99Ms: 50,
    non2xx: [...scan, ...totals].reduce((s, x) => s + x.statisticsNon2xx, 0),
  });
}
