/**
 * The service level of one interval (15 s by default, the metrics resolution): the p95 of all
 * the requests served in it — a mixture of each tick's exponential sojourn times, weighted by
 * the requests each tick served — and the fraction dropped. An interval violates the SLO when
 * that p95 exceeds the SLO or more than 0.1 % of its requests were dropped.
 */
import { exponentialMixtureP95 } from './queueing.js';

export interface TickLoad {
  served: number;
  offered: number;
  p95LatencyMs: number;
}

const LN20 = Math.log(20);

/** p95 of the interval's requests, in ms (Infinity when nothing was served but some was offered). */
export function intervalP95(ticks: readonly TickLoad[], baseLatencyMs: number): number {
  let total = 0;
  const rates: number[] = [];
  const weights: number[] = [];
  let any = false;
  for (const t of ticks) {
    if (t.offered > 0) any = true;
    if (!(t.served > 0) || !Number.isFinite(t.p95LatencyMs)) continue;
    const queueMs = Math.max(1e-9, t.p95LatencyMs - baseLatencyMs);
    rates.push(LN20 / queueMs);
    weights.push(t.served);
    total += t.served;
  }
  if (total === 0) return any ? Number.POSITIVE_INFINITY : 0;
  return baseLatencyMs + exponentialMixtureP95(rates, weights, total, 50);
}

export interface SloModel {
  baseLatencyMs: number;
  sloLatencyMs: number;
  sloMaxDropRatio: number;
}

export interface IntervalOutcome {
  p95LatencyMs: number;
  dropRatio: number;
  offered: number;
  violated: boolean;
}

export function intervalOutcome(
  ticks: readonly TickLoad[],
  baseLatencyMs: number,
  sloLatencyMs: number,
  sloMaxDropRatio: number,
): IntervalOutcome {
  let offered = 0;
  let served = 0;
  for (const t of ticks) {
    offered += t.offered;
    served += t.served;
  }
  const p95 = intervalP95(ticks, baseLatencyMs);
  const dropRatio = offered > 0 ? Math.max(0, offered - served) / offered : 0;
  return {
    p95LatencyMs: p95,
    dropRatio,
    offered,
    violated: offered > 0 && (p95 > sloLatencyMs || dropRatio > sloMaxDropRatio),
  };
}
