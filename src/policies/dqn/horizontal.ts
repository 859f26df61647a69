/**
 * The horizontal DQN's view of a workload and what its actions mean. Features are scale-free
 * (demand relative to replicas, relative trends) and relative to the workload's knee — the
 * CPU utilisation at which its p95 latency reaches the SLO, learned online from its latency
 * (serviceModel.ts) — so that one network serves a 1-pod and a 200-pod workload, one that
 * breaks at 40 % CPU and one that holds to 98 %. An action picks a target as a fraction of the
 * knee; the replica count follows with hysteresis: up at once to cover current demand plus its
 * trend over a pod's startup, down only as far as the highest demand of the last five minutes
 * allows — removing a pod is instant, getting it back takes a startup delay. HOLD keeps the
 * count unless demand would pass SAFE_MAX_OF_KNEE. Documented in docs/policies.md.
 */
import type { ServiceLevelObjective, WorkloadObservation } from '../../core/workload.js';
import { slope, summarizeUsage, type UsageSummary } from '../usage.js';
import {
  ASSUMED_KNEE,
  CONFIDENT_SAMPLES,
  emptyServiceModel,
  estimateKnee,
  type KneeEstimate,
  observeService,
  observeStartups,
  servingSettled,
  RETAKE_AFTER,
  type ServiceModelState,
  updateMode,
} from './serviceModel.js';

/** How many past decisions the features look back over (seed 002 uses a window of 5). */
export const HISTORY = 5;
/**
 * Scale-down looks at the peak demand of this many decisions (5 minutes at 15 s, the HPA's
 * scale-down stabilisation): shedding a pod as soon as two quiet minutes allow it acted 10-20
 * times as often as the HPA for a few per cent of cost.
 */
export const PEAK_WINDOW = 20;
/** The interval between decisions the policy assumes (the HPA's sync period, qpilot's loop). */
export const DECISION_STEP_MS = 15_000;
/** Steps of trend added to demand when scaling up: a pod's startup, within these bounds. */
export const MIN_LEAD_STEPS = 2;
export const MAX_LEAD_STEPS = 4;
/**
 * No action may leave the projected demand above this fraction of the knee: HOLD too scales
 * up past it. The knee is a cautious estimate (readings within the SLO never overstate it), so
 * this is at or below the true breaking point; a learned policy cannot hold a workload past it.
 */
export const SAFE_MAX_OF_KNEE = 1;
/** The baseline's target while the knee is being learned: an HPA at 70 %, or lower. */
export const BASELINE_TARGET = 0.7;
export const BASELINE_OF_KNEE = 0.85;
/**
 * Every replica count an action computes carries this much more than the target asks: at one
 * or two pods a step of one pod is a large fraction of capacity, and a workload on the edge
 * flaps between counts and violates; at twenty pods it is noise.
 */
export const HEADROOM_PODS = 0.15;
/**
 * A scale-down must hold with the recent peak this much higher (the HPA's 10 % tolerance):
 * without it a small workload whose demand wanders across a pod boundary flaps between two
 * counts every few minutes.
 */
export const DOWN_TOLERANCE = 0.1;

export const HORIZONTAL_FEATURES = [
  'demand per replica over the knee (CPU usage in pods of request, over spec replicas, over the knee utilisation)',
  'demand per replica over the knee 1 step ago',
  'demand per replica over the knee 2 steps ago',
  'demand per replica over the knee 3 steps ago',
  'demand per replica over the knee 4 steps ago',
  'demand trend per step, relative to demand',
  'peak demand of the last 5 minutes per replica over the knee',
  'ready replicas / spec replicas',
  'starting replicas / spec replicas',
  'CPU usage / CPU limit of measured pods, over the knee',
  'share of the last 8 intervals that breached the SLO (0 without a latency signal)',
  'log replicas / log max replicas',
  'pods without metrics / spec replicas',
  'pod startup delay in decision steps / 8',
  'knee: utilisation of request at which p95 latency reaches the SLO',
  'latency signal (1) or assumed knee (0)',
] as const;

/** Targets as fractions of the knee. */
export const HORIZONTAL_TARGETS = [0.65, 0.75, 0.82, 0.88, 0.93, 0.97, 1] as const;
export const HORIZONTAL_ACTIONS = [
  'HOLD',
  ...HORIZONTAL_TARGETS.map((t) => `KNEE_${Math.round(t * 100)}`),
] as const;

/** What the policy remembers of a workload between decisions. */
export interface WorkloadMemory {
  /** Demand in pods (CPU usage / per-pod request) of the last decisions, oldest first. */
  demand: number[];
  service: ServiceModelState;
}

export function emptyMemory(): WorkloadMemory {
  return { demand: [], service: emptyServiceModel() };
}

/** Who chose the replica count, and on what grounds. */
export type Control =
  /** The network, with a knee learned from the workload's latency. */
  | 'learned'
  /** The baseline, while the knee is learned or after a breach handed control back. */
  | 'baseline'
  /** The network, with the assumed knee: there is no latency signal or no SLO. */
  | 'assumed';

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
  /** The knee in utilisation of request (what demand and targets are measured in). */
  knee: number;
  estimate: KneeEstimate;
  control: Control;
  /** Why the knee is assumed, or why the baseline decides. */
  controlReason?: string;
  /** p95 latency / SLO of the last window, when measured. */
  latencyRatio?: number;
  /** Steps of trend projected when scaling up. */
  leadSteps: number;
}

export interface HorizontalContext {
  maxReplicas: number;
  slo?: ServiceLevelObjective;
}

const clip = (x: number, lo: number, hi: number) =>
  Math.min(hi, Math.max(lo, Number.isFinite(x) ? x : 0));

/** Folds the observation's latency and startups into what is learned; who decides next. */
function learn(
  o: WorkloadObservation,
  usage: UsageSummary,
  memory: WorkloadMemory,
  slo: ServiceLevelObjective | undefined,
): { estimate: KneeEstimate; control: Control; reason?: string; ratio?: number } {
  const m = memory.service;
  observeStartups(m, o.pods);
  const service = o.service;
  if (!slo || !service) {
    const reason = !slo
      ? "no SLO (qpilot.io/slo-latency-ms or an Autopilot's objectives)"
      : 'no latency signal (the simulator, or Prometheus with PROMETHEUS_URL)';
    return {
      estimate: { knee: ASSUMED_KNEE, confident: false },
      control: 'assumed',
      reason: `${reason}: assuming latency holds to ${ASSUMED_KNEE * 100} % CPU`,
    };
  }
  const ratio = service.latencyP95Ms / slo.latencyP95Ms;
  const breached = ratio > 1 || (service.dropRatio ?? 0) > slo.maxDropRatio;
  const starting = o.pods.some((p) => !p.ready && !p.deleting && p.phase !== 'Failed');
  const serving = o.pods.filter((p) => p.ready && !p.deleting).length;
  const settled = servingSettled(m, serving, o.timeMs);
  observeService(m, { rho: usage.cpuOfLimit ?? 0, ratio, breached }, !starting && settled);
  const estimate = estimateKnee(m);
  updateMode(m, o.timeMs, estimate, slo.breachesToHandBack);
  if (m.mode === 'learned') return { estimate, control: 'learned', ratio };
  return {
    estimate,
    control: 'baseline',
    ratio,
    reason: m.handback
      ? `${m.handback.reason}: the baseline decides until ${Math.max(0, RETAKE_AFTER - m.cleanSinceHandback)} more intervals meet the SLO`
      : `learning the workload: ${m.samples} of ${CONFIDENT_SAMPLES} intervals with latency`,
  };
}

/** Updates what the policy remembers of the workload with the observation; the state features. */
export function horizontalState(
  o: WorkloadObservation,
  memory: WorkloadMemory,
  ctx: HorizontalContext,
): HorizontalState {
  const usage = summarizeUsage(o);
  const replicas = Math.max(1, o.specReplicas);
  let demand: number | undefined;
  // Demand in pods of request, with the request the HPA would divide by: never a made-up one.
  if (usage.measuredPods > 0 && usage.cpuRequestMillicores > 0) {
    const request = usage.cpuRequestMillicores / usage.measuredPods;
    demand = usage.cpuUsageMillicores / request;
    memory.demand.push(demand);
    if (memory.demand.length > PEAK_WINDOW) memory.demand.shift();
  }
  const learned = learn(o, usage, memory, ctx.slo);
  // The knee is learned in utilisation of the limit (what a pod can burn); demand and targets
  // are in utilisation of the request.
  const perLimit =
    usage.cpuUtilization !== undefined && usage.cpuOfLimit !== undefined && usage.cpuOfLimit > 0
      ? usage.cpuUtilization / usage.cpuOfLimit
      : 1;
  const knee = learned.estimate.knee * perLimit;
  const h = memory.demand;
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
  const startupMs = memory.service.startupMs;
  const leadSteps = Math.min(
    MAX_LEAD_STEPS,
    Math.max(MIN_LEAD_STEPS, Math.ceil((startupMs ?? 0) / DECISION_STEP_MS)),
  );
  const perKnee = replicas * knee;
  const features = new Float32Array(HORIZONTAL_FEATURES.length);
  features[0] = clip(last / perKnee, 0, 3);
  for (let k = 1; k <= 4; k++) features[k] = clip(at(k) / perKnee, 0, 3);
  features[5] = clip(trend / Math.max(last, 0.5), -1, 1);
  features[6] = clip(peak / perKnee, 0, 3);
  features[7] = clip(ready / replicas, 0, 2);
  features[8] = clip(starting / replicas, 0, 2);
  features[9] = clip((usage.cpuOfLimit ?? 0) / learned.estimate.knee, 0, 3);
  // Not p95 / SLO: where the base latency is most of the SLO, that ratio is high at any load
  // and reads as danger; a breach means the same on every workload.
  const breaches = memory.service.recentBreaches;
  features[10] =
    learned.control === 'assumed' || breaches.length === 0
      ? 0
      : breaches.reduce((s, b) => s + b, 0) / breaches.length;
  features[11] = clip(Math.log(replicas + 1) / Math.log(Math.max(2, ctx.maxReplicas) + 1), 0, 1.5);
  features[12] = clip(missing / replicas, 0, 1);
  features[13] = clip(
    (startupMs ?? MIN_LEAD_STEPS * DECISION_STEP_MS) / DECISION_STEP_MS / 8,
    0,
    2,
  );
  features[14] = clip(knee, 0, 1.5);
  features[15] = learned.control === 'assumed' ? 0 : 1;
  return {
    features,
    demand,
    trend,
    peak,
    usage,
    knee,
    estimate: learned.estimate,
    control: learned.control,
    leadSteps,
    ...(learned.reason ? { controlReason: learned.reason } : {}),
    ...(learned.ratio !== undefined ? { latencyRatio: learned.ratio } : {}),
    ...(usage.cpuRequestMissing ? { unmeasurable: usage.cpuRequestMissing } : {}),
  };
}

type Sizing = Pick<HorizontalState, 'demand' | 'trend' | 'peak' | 'knee' | 'leadSteps'>;

/** The replica count for a target utilisation of request, with the hysteresis above. */
function replicasForTarget(target: number, current: number, state: Sizing, hold: boolean): number {
  if (state.demand === undefined) return current;
  const projected = state.demand + state.leadSteps * Math.max(0, state.trend);
  const up = Math.ceil(projected / target + HEADROOM_PODS - 1e-9);
  if (up > current) return up;
  if (hold) return current;
  const down = Math.max(
    1,
    Math.ceil((state.peak * (1 + DOWN_TOLERANCE)) / target + HEADROOM_PODS - 1e-9),
  );
  return down < current ? down : current;
}

/** The replica count an action asks for. */
export function replicasForAction(action: number, current: number, state: Sizing): number {
  const ofKnee = action === 0 ? SAFE_MAX_OF_KNEE : HORIZONTAL_TARGETS[action - 1]!;
  return replicasForTarget(ofKnee * state.knee, current, state, action === 0);
}

/** The baseline's utilisation target: the HPA's 70 %, or less where the knee is lower. */
export function baselineTarget(knee: number): number {
  return Math.min(BASELINE_TARGET, BASELINE_OF_KNEE * knee);
}

/** The replica count the baseline asks for. */
export function baselineReplicas(current: number, state: Sizing): number {
  return replicasForTarget(baselineTarget(state.knee), current, state, false);
}
