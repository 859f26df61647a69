/**
 * What the autoscaler does with one Deployment: the global settings, overridden by the
 * Deployment's own `qpilot.io/*` annotations (the Kubernetes convention for per-object
 * settings). A bad annotation leaves that workload alone with the reason, never the others.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { PAUSED_ANNOTATION } from '../cluster/autopilot.js';
import { parseCpu, parseMemory } from '../cluster/quantity.js';
import { isQpError } from '../core/errors.js';
import { type PolicySpec, parsePolicySpec } from '../policies/registry.js';
import type { ScalingBounds } from '../policies/types.js';
import type { ServiceLevelObjective } from '../core/workload.js';
import type { ScalingSettings } from './settings.js';
import type { ScalingBehavior } from '../policies/behavior.js';

export const ANNOTATION_PREFIX = 'qpilot.io/';
export type WorkloadMode = 'off' | 'recommend' | 'auto';

export interface WorkloadPlan {
  namespace: string;
  name: string;
  /** `off`: left alone; `recommend`: decided and recorded, never acted on; `auto`: acted on. */
  mode: WorkloadMode;
  policy: PolicySpec;
  bounds: ScalingBounds;
  scaleFactor: number;
  cooldownMs: number;
  /** Its service level objective (qpilot.io/slo-latency-ms, qpilot.io/slo-max-drop-ratio). */
  slo?: ServiceLevelObjective;
  /** Why the workload is left alone, when it is. */
  skip?: { reason: PlanSkipReason; message: string };
  /** The Autopilot the plan comes from, when one targets the workload. */
  autopilot?: { name: string; generation?: number };
  /** The HPA's behavior (an Autopilot's scaleUp and scaleDown rules). */
  behavior?: ScalingBehavior;
  /** Where the workload's latency comes from, when it names its own histogram. */
  latencySource?: LatencySource;
}

export type PlanSkipReason =
  'excluded' | 'mode_off' | 'invalid_annotation' | 'paused' | 'invalid_spec';

/** A Prometheus histogram of request durations (seconds) and label matchers for the workload's series. */
export interface LatencySource {
  histogram: string;
  selector?: string;
}

function annotationNumber(value: string, key: string, integer: boolean): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    throw new Error(
      `annotation ${key}: "${value}" is not a ${integer ? 'whole number' : 'number'} ≥ 0`,
    );
  return n;
}

function quantity(value: string, key: string, parse: (t: string) => number): number {
  try {
    return parse(value);
  } catch (err) {
    throw new Error(
      `annotation ${key}: ${isQpError(err) || err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The global settings' bounds, in the units policies use. */
export function settingsBounds(s: ScalingSettings): ScalingBounds {
  return {
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    minCpuMillicores: s.minCpu * 1000,
    maxCpuMillicores: s.maxCpu * 1000,
    minMemoryBytes: s.minMemoryMb * 2 ** 20,
    maxMemoryBytes: s.maxMemoryMb * 2 ** 20,
  };
}

/** Reads the annotations over the settings; throws an Error naming the annotation at fault. */
function overrides(
  a: Record<string, string>,
  s: ScalingSettings,
): Omit<WorkloadPlan, 'namespace' | 'name' | 'skip'> {
  const get = (k: string) => a[ANNOTATION_PREFIX + k];
  const key = (k: string) => ANNOTATION_PREFIX + k;
  const modeText = get('mode') ?? 'auto';
  if (!['off', 'recommend', 'auto'].includes(modeText))
    throw new Error(`annotation ${key('mode')}: "${modeText}" is not off, recommend or auto`);
  let policy: PolicySpec;
  try {
    policy = parsePolicySpec(get('policy') ?? s.policy);
  } catch (err) {
    throw new Error(`annotation ${key('policy')}: ${(err as Error).message}`);
  }
  if (policy.name === 'oracle')
    throw new Error(`annotation ${key('policy')}: the oracle exists only in evaluation`);
  // Whoever may annotate a Deployment must not make qpilot read files of its choosing.
  if (
    get('policy') !== undefined &&
    (policy.name === 'dqn' || policy.name === 'dqn-vertical') &&
    policy.arg !== undefined
  )
    throw new Error(
      `annotation ${key('policy')}: a model directory cannot be chosen by annotation; qpilot serves the models under MODEL_PATH`,
    );
  const num = (k: string, fallback: number, integer: boolean) => {
    const v = get(k);
    return v === undefined ? fallback : annotationNumber(v, key(k), integer);
  };
  const q = (k: string, fallback: number, parse: (t: string) => number) => {
    const v = get(k);
    return v === undefined ? fallback : quantity(v, key(k), parse);
  };
  const global = settingsBounds(s);
  const bounds: ScalingBounds = {
    minReplicas: num('min-replicas', global.minReplicas, true),
    maxReplicas: num('max-replicas', global.maxReplicas, true),
    minCpuMillicores: q('min-cpu', global.minCpuMillicores, parseCpu),
    maxCpuMillicores: q('max-cpu', global.maxCpuMillicores, parseCpu),
    minMemoryBytes: q('min-memory', global.minMemoryBytes, parseMemory),
    maxMemoryBytes: q('max-memory', global.maxMemoryBytes, parseMemory),
  };
  if (bounds.minReplicas > bounds.maxReplicas)
    throw new Error(
      `annotations: min-replicas ${bounds.minReplicas} is above max-replicas ${bounds.maxReplicas}`,
    );
  if (bounds.minCpuMillicores > bounds.maxCpuMillicores)
    throw new Error('annotations: min-cpu is above max-cpu');
  if (bounds.minMemoryBytes > bounds.maxMemoryBytes)
    throw new Error('annotations: min-memory is above max-memory');
  const slo = sloOf(get, key);
  const scaleFactor = num('scale-factor', s.scaleFactor, false);
  if (scaleFactor <= 0 || scaleFactor >= 1)
    throw new Error(`annotation ${key('scale-factor')}: must be between 0 and 1`);
  return {
    mode: modeText as WorkloadMode,
    policy,
    bounds,
    scaleFactor,
    cooldownMs: num('cooldown-minutes', s.scalingCooldownMin, false) * 60_000,
    ...(slo ? { slo } : {}),
  };
}

/** Default share of requests that may fail or be dropped when only a latency SLO is given. */
export const DEFAULT_SLO_MAX_DROP_RATIO = 0.001;

/** The SLO of the annotations: a p95 latency, and the share of requests that may fail. */
function sloOf(
  get: (k: string) => string | undefined,
  key: (k: string) => string,
): ServiceLevelObjective | undefined {
  const latency = get('slo-latency-ms');
  const drops = get('slo-max-drop-ratio');
  if (latency === undefined) {
    if (drops !== undefined)
      throw new Error(`annotation ${key('slo-max-drop-ratio')}: needs ${key('slo-latency-ms')}`);
    return undefined;
  }
  const latencyP95Ms = annotationNumber(latency, key('slo-latency-ms'), false);
  if (!(latencyP95Ms > 0)) throw new Error(`annotation ${key('slo-latency-ms')}: must be above 0`);
  const maxDropRatio =
    drops === undefined
      ? DEFAULT_SLO_MAX_DROP_RATIO
      : annotationNumber(drops, key('slo-max-drop-ratio'), false);
  if (maxDropRatio > 1)
    throw new Error(`annotation ${key('slo-max-drop-ratio')}: must be between 0 and 1`);
  return { latencyP95Ms, maxDropRatio };
}

const plans = new WeakMap<ScalingSettings, Map<string, WorkloadPlan>>();

/**
 * The plan of a Deployment under the settings, remembered until its qpilot.io annotations or
 * its labels change or the settings do: a cycle plans a thousand workloads that rarely do.
 */
export function planWorkload(dep: V1Deployment, s: ScalingSettings): WorkloadPlan {
  const ours: Record<string, string> = {};
  for (const [k, v] of Object.entries(dep.metadata?.annotations ?? {}))
    if (k.startsWith(ANNOTATION_PREFIX)) ours[k] = v;
  const key = JSON.stringify([
    dep.metadata?.namespace,
    dep.metadata?.name,
    ours,
    dep.metadata?.labels,
    dep.spec?.template?.metadata?.labels,
  ]);
  let cache = plans.get(s);
  if (!cache) plans.set(s, (cache = new Map<string, WorkloadPlan>()));
  let plan = cache.get(key);
  if (!plan) {
    if (cache.size >= 10_000) cache.clear();
    plan = makePlan(dep, s);
    cache.set(key, plan);
  }
  return plan;
}

function makePlan(dep: V1Deployment, s: ScalingSettings): WorkloadPlan {
  const namespace = dep.metadata?.namespace ?? 'default';
  const name = dep.metadata?.name ?? '';
  const labels = { ...dep.spec?.template?.metadata?.labels, ...dep.metadata?.labels };
  const base = {
    namespace,
    name,
    mode: 'off' as WorkloadMode,
    policy: parsePolicySpec('hpa'),
    bounds: settingsBounds(s),
    scaleFactor: s.scaleFactor,
    cooldownMs: s.scalingCooldownMin * 60_000,
  };
  if (s.excludedDeployments.includes(name))
    return {
      ...base,
      skip: { reason: 'excluded', message: `${name} is in excluded_deployments` },
    };
  const label = Object.entries(s.excludedLabels).find(([k, v]) => labels[k] === v);
  if (label)
    return {
      ...base,
      skip: {
        reason: 'excluded',
        message: `${name} has the excluded label ${label[0]}=${label[1]}`,
      },
    };
  if (dep.metadata?.annotations?.[PAUSED_ANNOTATION]?.trim().toLowerCase() === 'true')
    return {
      ...base,
      skip: { reason: 'paused', message: `${name} has ${PAUSED_ANNOTATION}: "true"` },
    };
  let plan: Omit<WorkloadPlan, 'namespace' | 'name' | 'skip'>;
  try {
    plan = overrides(dep.metadata?.annotations ?? {}, s);
  } catch (err) {
    return {
      ...base,
      skip: { reason: 'invalid_annotation', message: (err as Error).message },
    };
  }
  if (plan.mode === 'off')
    return {
      ...base,
      ...plan,
      skip: { reason: 'mode_off', message: `${name} has ${ANNOTATION_PREFIX}mode: off` },
    };
  return { namespace, name, ...plan };
}
