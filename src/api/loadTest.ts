/**
 * Seed 004's `GET /app/stat` measurement: a short, bounded autocannon run against the target
 * application (seed 004 used a JMeter plan), then the average latency, the share of requests
 * dropped (errors, timeouts and non-2xx answers) and the reward computed from them.
 */
import autocannon from 'autocannon';

export interface LoadTestOptions {
  url: string;
  durationSec: number;
  connections: number;
  timeoutSec: number;
}

export interface LoadTestResult {
  requests: number;
  averageLatencyMs: number;
  p95LatencyMs: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  dropPercent: number;
  requestsPerSec: number;
}

export async function runLoadTest(o: LoadTestOptions): Promise<LoadTestResult> {
  const r = await autocannon({
    url: o.url,
    duration: o.durationSec,
    connections: o.connections,
    timeout: o.timeoutSec,
  });
  // Requests still in flight when the run ends are neither answered nor dropped.
  const sent = r.requests.total + r.errors;
  const dropped = r.errors + r.non2xx;
  return {
    requests: sent,
    averageLatencyMs: r.latency.average,
    p95LatencyMs: r.latency.p97_5 ?? r.latency.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    dropPercent: sent > 0 ? Math.min(100, (dropped / sent) * 100) : 100,
    requestsPerSec: r.requests.average,
  };
}

/**
 * The reward of seed 004's agent from what it measured: 1 at zero latency with nothing dropped,
 * falling linearly to 0 at the latency SLO, minus twice the share of requests dropped, minus
 * half the share of the pod budget in use (cost). Bounded to [-3, 1].
 */
export function appStatReward(m: {
  averageLatencyMs: number;
  dropPercent: number;
  pods: number;
  maxPods: number;
  sloLatencyMs: number;
}): number {
  const latency = 1 - m.averageLatencyMs / m.sloLatencyMs;
  const drops = 2 * (m.dropPercent / 100);
  const cost = 0.5 * (m.maxPods > 0 ? Math.min(1, m.pods / m.maxPods) : 0);
  return Math.max(-3, Math.min(1, latency - drops - cost));
}
