/**
 * What `dqn` learns about one workload while it runs it: how busy its pods may get before its
 * p95 latency breaks the SLO (the knee), and how long a new pod takes to become Ready. It is
 * learned online from (CPU utilisation, p95 latency) pairs, as AWARE (ATC '23) learns a new
 * workload before trusting its own model; docs/policies.md explains the estimate.
 *
 * The estimate rests on one shape: a pod's p95 latency grows like base + c / (1 - ρ) in its
 * CPU utilisation ρ (what a queue does). From one pair (ρ, p95 ≤ SLO) the knee is at least
 * 1 - p95·(1 - ρ)/SLO whatever the base latency (taking the base as 0 overstates the queue),
 * and exact at the knee; a pair with p95 > SLO puts the knee below ρ. Pairs are kept in
 * utilisation bins, so that noise averages out and old load does not crowd out new.
 */

/** Bins of CPU utilisation (of the limit: what the pod can actually burn). */
const BIN_WIDTH = 0.05;
const BINS = 22; // up to 1.1: a pod without a limit can pass its request
/** A bin is believed after this many intervals. */
const MIN_BIN_SAMPLES = 3;
/** Intervals with a latency signal before the learned knee is trusted. */
export const CONFIDENT_SAMPLES = 20;
/** How far past the busiest utilisation seen to be safe the knee may be extrapolated. */
const EXTRAPOLATION = 0.12;
export const MIN_KNEE = 0.1;
export const MAX_KNEE = 0.98;
/** The knee assumed without a latency signal or an SLO: the HPA's 70 % stays below it. */
export const ASSUMED_KNEE = 0.75;
/** Breached intervals among the last BREACH_WINDOW that hand control back to the baseline. */
export const BREACH_LIMIT = 3;
export const BREACH_WINDOW = 8;
/** Intervals the baseline must run without a breach before the policy takes over again. */
export const RETAKE_AFTER = 20;

export interface ServiceBin {
  n: number;
  /** Mean utilisation of the limit, and mean p95 / SLO, of the intervals in the bin. */
  rho: number;
  ratio: number;
  /** The sample count of the model when the bin last got a reading. */
  last: number;
}

/**
 * A bin past the SLO is forgotten when not seen again for this many intervals (an hour at
 * 15 s): a breach caps the knee, the policy then keeps away from it and would never learn that
 * the workload (or its load's mix) changed. Forgetting is how it tries again, slowly.
 */
export const FORGET_BREACH_AFTER = 240;

export interface ServiceModelState {
  bins: (ServiceBin | null)[];
  samples: number;
  /** How many pods served at the last reading, and since when (ms): see `servingSettled`. */
  serving?: { pods: number; sinceMs: number };
  /** Measured time from a pod's start to Ready, averaged. */
  startupMs?: number;
  /** Pods seen not yet Ready (names): their startup counts when they are. */
  startingPods: string[];
  /** 1 for each recent interval that breached the SLO, newest last. */
  recentBreaches: number[];
  /** Who decides: the baseline until the model is trusted, or again after a breach. */
  mode: 'baseline' | 'learned';
  /** Why the baseline decides, when it took control back. */
  handback?: { atMs: number; reason: string };
  /** Intervals the baseline has run without a breach since it took control. */
  cleanSinceHandback: number;
}

export function emptyServiceModel(): ServiceModelState {
  return {
    bins: new Array<ServiceBin | null>(BINS).fill(null),
    samples: 0,
    startingPods: [],
    recentBreaches: [],
    mode: 'baseline',
    cleanSinceHandback: 0,
  };
}

export interface ServiceReading {
  /** CPU usage over the limit of the measured pods (their request where they set none). */
  rho: number;
  /** p95 latency / SLO latency over the last window. */
  ratio: number;
  breached: boolean;
}

/**
 * Adds one interval's reading. `steady` false (pods starting, so the load of the pods that
 * serve is moving and metrics-server's CPU lags the latency) counts the breach, not the pair.
 */
export function observeService(m: ServiceModelState, r: ServiceReading, steady = true): void {
  m.recentBreaches.push(r.breached ? 1 : 0);
  if (m.recentBreaches.length > BREACH_WINDOW) m.recentBreaches.shift();
  if (!steady || !(r.rho > 0) || !Number.isFinite(r.ratio) || r.ratio < 0) return;
  const i = Math.min(BINS - 1, Math.floor(r.rho / BIN_WIDTH));
  const old = m.bins[i];
  // A forgotten breach is gone: its average must not come back with the next reading.
  const bin = old && !forgotten(m, old) ? old : { n: 0, rho: 0, ratio: 0, last: 0 };
  bin.n++;
  // A running mean for the first samples, then an average that follows a changing workload.
  const w = Math.max(1 / bin.n, 0.1);
  bin.rho += w * (r.rho - bin.rho);
  bin.ratio += w * (Math.min(r.ratio, 5) - bin.ratio);
  m.samples++;
  bin.last = m.samples;
  m.bins[i] = bin;
}

/**
 * Folds in the startup delays of pods seen starting that are Ready now. Only pods seen before
 * they were Ready count: a pod whose readiness flapped long after it started says nothing of
 * its startup.
 */
export function observeStartups(
  m: ServiceModelState,
  pods: readonly {
    name: string;
    ready: boolean;
    deleting: boolean;
    startTimeMs?: number;
    readyTransitionMs?: number;
  }[],
): void {
  const starting = new Set(m.startingPods);
  const still: string[] = [];
  for (const p of pods) {
    if (p.deleting) continue;
    if (!p.ready) {
      still.push(p.name);
      continue;
    }
    if (!starting.has(p.name) || p.startTimeMs === undefined || p.readyTransitionMs === undefined)
      continue;
    const ms = p.readyTransitionMs - p.startTimeMs;
    if (!(ms >= 0) || ms > 3_600_000) continue;
    m.startupMs = m.startupMs === undefined ? ms : m.startupMs + 0.2 * (ms - m.startupMs);
  }
  m.startingPods = still.slice(0, 400);
}

function forgotten(m: ServiceModelState, b: ServiceBin): boolean {
  return b.ratio > 1 && m.samples - b.last > FORGET_BREACH_AFTER;
}

/**
 * After the set of serving pods changes, metrics-server's CPU (a 15 s window, up to 15 s late)
 * still shows the old spread of load while the latency already shows the new one: a scale-down
 * reads as a breach at the old, lower utilisation. Pairs wait this long after a change.
 */
export const SETTLE_MS = 30_000;

/**
 * Notes how many pods serve now; whether they have served unchanged for `SETTLE_MS`. Pods
 * first seen (qpilot just started) are taken as settled, as they were before this was noted.
 */
export function servingSettled(m: ServiceModelState, pods: number, nowMs: number): boolean {
  if (!m.serving) m.serving = { pods, sinceMs: nowMs - SETTLE_MS };
  else if (m.serving.pods !== pods || nowMs < m.serving.sinceMs)
    m.serving = { pods, sinceMs: nowMs };
  return nowMs - m.serving.sinceMs >= SETTLE_MS;
}

export interface KneeEstimate {
  /** Utilisation of the limit at which p95 latency reaches the SLO, as far as it is known. */
  knee: number;
  /** Whether enough is known to trust it. */
  confident: boolean;
  /** The busiest utilisation seen within the SLO, and the least busy seen past it. */
  safeUpTo?: number;
  brokenFrom?: number;
}

/** The knee as the bins show it: never above what was seen to break, nor far above what held. */
export function estimateKnee(m: ServiceModelState): KneeEstimate {
  let lower: number | undefined;
  let safeUpTo: number | undefined;
  let brokenFrom: number | undefined;
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (const b of m.bins) {
    if (!b || b.n < MIN_BIN_SAMPLES) continue;
    if (forgotten(m, b)) continue;
    if (b.ratio <= 1) {
      const bound = 1 - b.ratio * (1 - Math.min(b.rho, 0.99));
      lower = lower === undefined ? bound : Math.max(lower, bound);
      safeUpTo = safeUpTo === undefined ? b.rho : Math.max(safeUpTo, b.rho);
      xs.push(1 / (1 - Math.min(b.rho, 0.99)));
      ys.push(b.ratio);
      ws.push(Math.min(b.n, 50));
    } else brokenFrom = brokenFrom === undefined ? b.rho : Math.min(brokenFrom, b.rho);
  }
  let knee = lower ?? (brokenFrom !== undefined ? 0.8 * brokenFrom : ASSUMED_KNEE);
  // With pairs spread along the curve, fit base and slope: the bound alone undersells a
  // workload whose base latency is most of its SLO.
  const fit = fitKnee(xs, ys, ws);
  if (fit !== undefined && lower !== undefined && safeUpTo !== undefined)
    knee = Math.max(knee, Math.min(fit, safeUpTo + EXTRAPOLATION));
  if (brokenFrom !== undefined) knee = Math.min(knee, brokenFrom - 0.02);
  knee = Math.min(MAX_KNEE, Math.max(MIN_KNEE, knee));
  return {
    knee,
    confident: m.samples >= CONFIDENT_SAMPLES && (lower !== undefined || brokenFrom !== undefined),
    ...(safeUpTo !== undefined ? { safeUpTo } : {}),
    ...(brokenFrom !== undefined ? { brokenFrom } : {}),
  };
}

/**
 * Weighted least squares of p95/SLO = β + γ / (1 - ρ); the knee is where it reaches 1.
 * Undefined unless the points spread enough along the curve for the slope to mean something.
 */
function fitKnee(xs: number[], ys: number[], ws: number[]): number | undefined {
  if (xs.length < 2) return undefined;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < xs.length; i++) {
    sw += ws[i]!;
    sx += ws[i]! * xs[i]!;
    sy += ws[i]! * ys[i]!;
  }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxx += ws[i]! * (xs[i]! - mx) ** 2;
    sxy += ws[i]! * (xs[i]! - mx) * (ys[i]! - my);
  }
  if (Math.max(...xs) / Math.min(...xs) < 1.25 || !(sxx > 0)) return undefined;
  const slope = sxy / sxx;
  const base = my - slope * mx;
  if (!(slope > 0) || base < 0 || base >= 1) return undefined;
  return 1 - slope / (1 - base);
}

/**
 * Who decides next: the baseline hands over once the knee is trusted; a sustained breach under
 * the policy hands control back, with the reason; the policy takes over again after a clean run.
 */
export function updateMode(
  m: ServiceModelState,
  nowMs: number,
  estimate: KneeEstimate,
  breachLimit = BREACH_LIMIT,
): void {
  const breaches = m.recentBreaches.reduce((s, b) => s + b, 0);
  const last = m.recentBreaches[m.recentBreaches.length - 1] ?? 0;
  if (m.mode === 'learned') {
    if (breaches >= breachLimit) {
      m.mode = 'baseline';
      m.cleanSinceHandback = 0;
      m.handback = {
        atMs: nowMs,
        reason: `the SLO was breached in ${breaches} of the last ${m.recentBreaches.length} intervals`,
      };
    }
    return;
  }
  m.cleanSinceHandback = last ? 0 : m.cleanSinceHandback + 1;
  const rested = m.handback === undefined || m.cleanSinceHandback >= RETAKE_AFTER;
  if (estimate.confident && rested) {
    m.mode = 'learned';
    m.recentBreaches = [];
  }
}

/** Reads back an exported model, or undefined when it is not one. */
export function parseServiceModel(value: unknown): ServiceModelState | undefined {
  const v = value as Partial<ServiceModelState> | null;
  if (!v || !Array.isArray(v.bins) || v.bins.length !== BINS) return undefined;
  const binOk = (b: unknown) =>
    b === null ||
    (typeof b === 'object' &&
      [
        (b as ServiceBin).n,
        (b as ServiceBin).rho,
        (b as ServiceBin).ratio,
        (b as ServiceBin).last,
      ].every((x) => typeof x === 'number' && Number.isFinite(x)));
  if (!v.bins.every(binOk)) return undefined;
  if (typeof v.samples !== 'number' || (v.mode !== 'baseline' && v.mode !== 'learned'))
    return undefined;
  return {
    bins: v.bins.map((b) => (b ? { ...b } : null)),
    samples: v.samples,
    ...(typeof v.startupMs === 'number' && Number.isFinite(v.startupMs)
      ? { startupMs: v.startupMs }
      : {}),
    ...(v.serving &&
    Number.isFinite(Number(v.serving.pods)) &&
    Number.isFinite(Number(v.serving.sinceMs))
      ? { serving: { pods: Number(v.serving.pods), sinceMs: Number(v.serving.sinceMs) } }
      : {}),
    startingPods: Array.isArray(v.startingPods)
      ? v.startingPods.filter((p): p is string => typeof p === 'string')
      : [],
    recentBreaches: Array.isArray(v.recentBreaches)
      ? v.recentBreaches.map((b) => (b ? 1 : 0)).slice(-BREACH_WINDOW)
      : [],
    mode: v.mode,
    ...(v.handback && typeof v.handback.reason === 'string'
      ? { handback: { atMs: Number(v.handback.atMs) || 0, reason: v.handback.reason } }
      : {}),
    cleanSinceHandback: Number(v.cleanSinceHandback) || 0,
  };
}
