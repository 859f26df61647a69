/**
 * The queueing model of EVALUATION.md: each pod is an M/M/1 server with service rate
 * mu = cpu / cpuSecondsPerRequest. Its sojourn time is exponential with rate mu - lambda,
 * so p95 = ln(20) / (mu - lambda). Utilisation is capped just below 1 (past it the excess is
 * dropped), which bounds the latency of a saturated pod instead of making it infinite.
 */
export const MAX_UTILISATION = 0.99;
const LN20 = Math.log(20);

/** Extra p95 latency, in ms, of one M/M/1 pod offered `lambda` with capacity `mu` (per second). */
export function mm1P95QueueMs(lambda: number, mu: number): number {
  if (!(mu > 0)) return Number.POSITIVE_INFINITY;
  const rho = Math.min(lambda / mu, MAX_UTILISATION);
  return (LN20 / (mu * (1 - rho))) * 1000;
}

/** Mean number of requests in an M/M/1 system. */
export function mm1InFlight(lambda: number, mu: number): number {
  if (!(mu > 0)) return 0;
  const rho = Math.min(lambda / mu, MAX_UTILISATION);
  return rho / (1 - rho);
}

/**
 * p95 of the sojourn time across pods that serve different shares at different speeds: the
 * 0.95 quantile of the mixture of their exponentials, weighted by the requests each serves.
 * Found by bisection (the mixture's tail is monotone).
 */
export function mixtureP95QueueMs(lambdas: readonly number[], mus: readonly number[]): number {
  let total = 0;
  const rates: number[] = [];
  const weights: number[] = [];
  for (let i = 0; i < lambdas.length; i++) {
    const l = lambdas[i]!;
    const mu = mus[i]!;
    if (!(l > 0)) continue;
    if (!(mu > 0)) return Number.POSITIVE_INFINITY;
    const served = Math.min(l, mu);
    rates.push(mu * (1 - Math.min(l / mu, MAX_UTILISATION)));
    weights.push(served);
    total += served;
  }
  if (total === 0) return 0;
  return exponentialMixtureP95(rates, weights, total, 60) * 1000;
}

/**
 * The 0.95 quantile of a mixture of exponentials with these rates and weights (summing to
 * `total`), in the rates' time unit, by `bisections` halvings (the mixture's tail is monotone).
 */
export function exponentialMixtureP95(
  rates: readonly number[],
  weights: readonly number[],
  total: number,
  bisections: number,
): number {
  const tail = (x: number) => {
    let s = 0;
    for (let i = 0; i < rates.length; i++) s += (weights[i]! / total) * Math.exp(-rates[i]! * x);
    return s;
  };
  let lo = 0;
  let hi = LN20 / Math.min(...rates);
  for (let i = 0; i < bisections; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > 0.05) lo = mid;
    else hi = mid;
  }
  return hi;
}
