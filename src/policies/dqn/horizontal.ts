/**
 * The horizontal DQN's view of a workload and what its actions mean. Features are scale-free
 * (demand relative to replicas, relative trends), so that a network trained on one load level
 * works on another. An action picks a CPU utilisation target; the replica count follows with
 * hysteresis: up at once to cover current demand (plus its trend), down only as far as the
 * highest demand of the last two minutes allows — removing a pod is instant, getting it back
 * takes a startup delay. HOLD keeps the count unless demand would pass SAFE_MAX_UTILIZATION.
 * Documented in docs/policies.md.
 */
import type { WorkloadObservation } from '../../core/workload.js';
import { slope, summarizeUsage, type UsageSummary } from '../usage.js';

/** How many past decisions the features look back over (seed 002 uses a window of 5). */
export const HISTORY = 5;
/** Scale-down looks at the peak demand of this many decisions (2 minutes at 15 s). */
export const PEAK_WINDOW = 8;
/** Steps of trend added to demand when scaling up. */
export const TREND_LEAD_STEPS = 2;
/**
 * No action may leave the projected demand above this fraction of the replicas' requests:
 * HOLD too scales up past it. Near 83 % of a pod's CPU the p95 latency of the evaluation's
 * workload crosses its SLO; a learned policy must not be able to hold a workload there.
 */
export const SAFE_MAX_UTILIZATION = 0.8;
/**
 * Every replica count an action computes carries this much more than the target asks: at one
 * or two pods a step of one pod is a large fraction of capacity, and a workload on the edge
 * flaps between counts and violates; at twenty pods it is noise.
 */
export const HEADROOM_PODS = 0.15;

export const HORIZONTAL_FEATURES = [
  'demand per replica (CPU usage in pods of request, over spec replicas)',
  'demand per replica 1 step ago',
  'demand per replica 2 steps ago',
  'demand per replica 3 steps ago',
  'demand per replica 4 steps ago',
  'demand trend per step, relative to demand',
  'peak demand of the last 2 minutes per replica',
  'ready replicas / spec replicas',
  'starting replicas / spec replicas',
  'CPU usage / CPU limit of measured pods',
  'log replicas / log max replicas',
  'pods without metrics / spec replicas',
] as const;

export const HORIZONTAL_TARGETS = [0.5, 0.58, 0.64, 0.69, 0.73, 0.77, 0.8] as const;
export const HORIZONTAL_ACTIONS = [
  'HOLD',
  ...HORIZONTAL_TARGETS.map((t) => `TARGET_${Math.round(t * 100)}`),
] as const;

export interface DemandHistory {
  /** Demand in pods (CPU usage / per-pod request) of the last decisions, oldest first. */
  demand: number[];
}

export interface HorizontalState {
  features: Float32Array;
  /** Demand now, in pods; undefined when no pod has metrics or a pod has no CPU request. */
  demand?: number;
  trend: number;
  peak: number;
  /** Why demand cannot be measured although pods have metrics: a container without a CPU request. */
  unmeasurable?: string;
  /** The usage the state was read from. */
  usage: UsageSummary;
}

const clip = (x: number, lo: number, hi: number) =>
  Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : 0));

/** Updates the workload's demand history with the observation and returns the state features. */
export function horizontalState(
  o: WorkloadObservation,
  history: DemandHistory,
  maxReplicas: number,
): HorizontalState {
  const usage = summarizeUsage(o);
  const replicas = Math.max(1, o.specReplicas);
  let demand: number | undefined;
  // Demand in pods of request, with the request the HPA would divide by: never a made-up one.
  if (usage.measuredPods > 0 && usage.cpuRequestMillicores > 0) {
    const request = usage.cpuRequestMillicores / usage.measuredPods;
    demand = usage.cpuUsageMillicores / request;
    history.demand.push(demand);
    if (history.demand.length > PEAK_WINDOW) history.demand.shift();
  }
  const h = history.demand;
  const last = h[h.length - 1] ?? 0;
  const at = (k: number) => h[Math.max(0, h.length - 1 - k)] ?? last;
  const trend = h.length >= 2 ? slope(h.length > HISTORY ? h.slice(-HISTORY) : h) : 0;
  let peak = 0;
  for (const d of h) if (d > peak) peak = d;
  // Pods that count (not being deleted, not finished): ready, starting, ready without metrics.
  let active = 0;
  let ready = 0;
  let missing = 0;
  for (const p of o.pods) {
    if (p.deleting || p.phase === 'Failed' || p.phase === 'Succeeded') continue;
    active++;
    if (!p.ready) continue;
    ready++;
    if (!p.usage) missing++;
  }
  const starting = active - ready;
  const features = new Float32Array(HORIZONTAL_FEATURES.length);
  features[0] = clip(last / replicas, 0, 3);
  for (let k = 1; k <= 4; k++) features[k] = clip(at(k) / replicas, 0, 3);
  features[5] = clip(trend / Math.max(last, 0.5), -1, 1);
  features[6] = clip(peak / replicas, 0, 3);
  features[7] = clip(ready / replicas, 0, 2);
  features[8] = clip(starting / replicas, 0, 2);
  features[9] = clip(usage.cpuOfLimit ?? 0, 0, 2);
  features[10] = clip(Math.log(replicas + 1) / Math.log(Math.max(2, maxReplicas) + 1), 0, 1.5);
  features[11] = clip(missing / replicas, 0, 1);
  return {
    features,
    demand,
    trend,
    peak,
    usage,
    ...(usage.cpuRequestMissing ? { unmeasurable: usage.cpuRequestMissing } : {}),
  };
}

/** The replica count an action asks for. */
export function replicasForAction(
  action: number,
  current: number,
  state: Pick<HorizontalState, 'demand' | 'trend' | 'peak'>,
): number {
  if (state.demand === undefined) return current;
  const projected = state.demand + TREND_LEAD_STEPS * Math.max(0, state.trend);
  const target = action === 0 ? SAFE_MAX_UTILIZATION : HORIZONTAL_TARGETS[action - 1]!;
  const up = Math.ceil(projected / target + HEADROOM_PODS - 1e-9);
  if (up > current) return up;
  if (action === 0) return current;
  const down = Math.max(1, Math.ceil(state.peak / target + HEADROOM_PODS - 1e-9));
  return down < current ? down : current;
}
