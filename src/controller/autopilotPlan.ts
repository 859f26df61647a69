/**
 * What the autoscaler does with a Deployment an Autopilot targets: the Autopilot's spec over
 * the global settings. An Autopilot wins over the Deployment's `qpilot.io/*` annotations
 * (one object says what qpilot does with a workload, and it is the one with a status); the
 * pause annotation stops every change, as KEDA's does. The API server has checked the spec
 * against the CRD; what it could not check (a constraint naming no container) is refused here
 * with a message for the status.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { type Autopilot, isPaused, PAUSED_ANNOTATION } from '../cluster/autopilot.js';
import { parseCpu, parseMemory } from '../cluster/quantity.js';
import { parsePolicySpec, type PolicySpec } from '../policies/registry.js';
import type { ScalingBounds } from '../policies/types.js';
import type { ScalingSettings } from './settings.js';
import {
  DEFAULT_SLO_MAX_DROP_RATIO,
  settingsBounds,
  type WorkloadMode,
  type WorkloadPlan,
} from './workloadSettings.js';

/** PromQL label matchers: name, operator, a double-quoted string; separated by commas. */
const MATCHER = String.raw`\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*`;
const LABEL_MATCHERS = new RegExp(`^${MATCHER}(?:,${MATCHER})*,?\\s*$`);

/** The baseline each learned policy hands control to (policies/registry.ts). */
const BASELINES: Record<string, string> = { dqn: 'hpa', 'dqn-vertical': 'vpa' };

const MODES: Record<string, WorkloadMode> = { Auto: 'auto', Recommend: 'recommend', Off: 'off' };

/** The containers of the pod template that qpilot sizes (init containers are not). */
function templateContainers(dep: V1Deployment): string[] {
  return (dep.spec?.template?.spec?.containers ?? []).map((c) => c.name);
}

/**
 * Per-pod bounds from per-container constraints: a pod's floor is the sum of its containers'
 * minAllowed (never below the global floor); its ceiling the sum of their maxAllowed when every
 * container has one (never above the global ceiling).
 */
function boundsOf(ap: Autopilot, dep: V1Deployment, global: ScalingBounds): ScalingBounds {
  const c = ap.spec.constraints ?? {};
  const bounds: ScalingBounds = {
    ...global,
    minReplicas: c.minReplicas ?? global.minReplicas,
    maxReplicas: c.maxReplicas ?? global.maxReplicas,
  };
  const constraints = c.containers ?? [];
  if (constraints.length === 0) return bounds;
  const names = templateContainers(dep);
  for (const k of constraints)
    if (!names.includes(k.name))
      throw new Error(
        `constraints.containers: "${k.name}" is not a container of ${dep.metadata?.name} (${names.join(', ')})`,
      );
  const sum = (values: (number | undefined)[]) =>
    values.every((v) => v !== undefined)
      ? values.reduce<number>((s, v) => s + (v ?? 0), 0)
      : undefined;
  const of = (name: string) => constraints.find((k) => k.name === name);
  const minCpu = names.reduce((s, n) => s + parseOr(of(n)?.minAllowed?.cpu, parseCpu, 0), 0);
  const minMemory = names.reduce(
    (s, n) => s + parseOr(of(n)?.minAllowed?.memory, parseMemory, 0),
    0,
  );
  const maxCpu = sum(names.map((n) => parseOr(of(n)?.maxAllowed?.cpu, parseCpu, undefined)));
  const maxMemory = sum(
    names.map((n) => parseOr(of(n)?.maxAllowed?.memory, parseMemory, undefined)),
  );
  bounds.minCpuMillicores = Math.max(global.minCpuMillicores, minCpu);
  bounds.minMemoryBytes = Math.max(global.minMemoryBytes, minMemory);
  if (maxCpu !== undefined) bounds.maxCpuMillicores = Math.min(global.maxCpuMillicores, maxCpu);
  if (maxMemory !== undefined) bounds.maxMemoryBytes = Math.min(global.maxMemoryBytes, maxMemory);
  if (bounds.minCpuMillicores > bounds.maxCpuMillicores)
    throw new Error(
      `constraints.containers: the pod's CPU floor ${bounds.minCpuMillicores}m is above its ceiling ${bounds.maxCpuMillicores}m (qpilot's max_cpu included)`,
    );
  if (bounds.minMemoryBytes > bounds.maxMemoryBytes)
    throw new Error(
      "constraints.containers: the pod's memory floor is above its ceiling (qpilot's max_memory_mb included)",
    );
  return bounds;
}

function parseOr<T extends number | undefined>(
  text: string | undefined,
  parse: (t: string) => number,
  fallback: T,
): number | T {
  return text === undefined ? fallback : parse(text);
}

/**
 * The policy an Autopilot names. `static` holds the replicas at constraints.minReplicas (the
 * baseline of no autoscaling); without it there is no count to hold, and the spec is refused.
 */
function policyOf(ap: Autopilot): PolicySpec | Error {
  const name = ap.spec.policy ?? 'dqn';
  if (name !== 'static') return parsePolicySpec(name);
  const min = ap.spec.constraints?.minReplicas;
  if (min === undefined)
    return new Error(
      'policy static holds constraints.minReplicas replicas: set constraints.minReplicas',
    );
  return parsePolicySpec(`static:${min}`);
}

/** The plan of a Deployment its Autopilot steers. */
export function planFromAutopilot(
  ap: Autopilot,
  dep: V1Deployment,
  s: ScalingSettings,
): WorkloadPlan {
  const namespace = ap.metadata.namespace;
  const name = ap.spec.targetRef.name;
  const source = { name: ap.metadata.name, generation: ap.metadata.generation };
  const mode = MODES[ap.spec.mode ?? 'Auto'] ?? 'auto';
  const policy = policyOf(ap);
  const base: WorkloadPlan = {
    namespace,
    name,
    mode,
    policy: policy instanceof Error ? parsePolicySpec('hpa') : policy,
    bounds: settingsBounds(s),
    scaleFactor: s.scaleFactor,
    cooldownMs: (ap.spec.behavior?.cooldownSeconds ?? s.scalingCooldownMin * 60) * 1000,
    autopilot: source,
  };
  if (isPaused(ap) || isPaused({ metadata: { name, namespace, ...dep.metadata } }))
    return {
      ...base,
      skip: {
        reason: 'paused',
        message: `${isPaused(ap) ? `Autopilot ${ap.metadata.name}` : `Deployment ${name}`} has ${PAUSED_ANNOTATION}: "true"`,
      },
    };
  if (mode === 'off')
    return {
      ...base,
      skip: { reason: 'mode_off', message: `Autopilot ${ap.metadata.name} has mode Off` },
    };
  if (policy instanceof Error)
    return { ...base, skip: { reason: 'invalid_spec', message: policy.message } };
  const fallback = ap.spec.fallback?.policy;
  const baseline = BASELINES[policy.name];
  if (fallback !== undefined && baseline !== undefined && fallback !== baseline)
    return {
      ...base,
      skip: {
        reason: 'invalid_spec',
        message: `fallback.policy ${fallback} is not supported yet: ${policy.name}'s baseline is ${baseline}`,
      },
    };
  let bounds: ScalingBounds;
  try {
    bounds = boundsOf(ap, dep, base.bounds);
  } catch (err) {
    return { ...base, skip: { reason: 'invalid_spec', message: (err as Error).message } };
  }
  if (bounds.minReplicas > bounds.maxReplicas)
    return {
      ...base,
      skip: {
        reason: 'invalid_spec',
        message: `constraints: minReplicas ${bounds.minReplicas} is above maxReplicas ${bounds.maxReplicas}`,
      },
    };
  const o = ap.spec.objectives;
  if (o?.p95LatencyMs === undefined && o?.maxErrorRatio !== undefined)
    return {
      ...base,
      skip: {
        reason: 'invalid_spec',
        message: 'objectives.maxErrorRatio needs objectives.p95LatencyMs',
      },
    };
  const prometheus = o?.latencySource?.prometheus;
  if (prometheus?.selector !== undefined && !LABEL_MATCHERS.test(prometheus.selector))
    return {
      ...base,
      skip: {
        reason: 'invalid_spec',
        message: `objectives.latencySource.prometheus.selector: "${prometheus.selector}" is not a list of label matchers such as job="web"`,
      },
    };
  const breaches = ap.spec.fallback?.breachesToHandBack;
  const slo =
    o?.p95LatencyMs !== undefined
      ? {
          latencyP95Ms: o.p95LatencyMs,
          maxDropRatio: o.maxErrorRatio ?? DEFAULT_SLO_MAX_DROP_RATIO,
          ...(breaches !== undefined ? { breachesToHandBack: breaches } : {}),
        }
      : undefined;
  const { scaleUp, scaleDown } = ap.spec.behavior ?? {};
  return {
    ...base,
    bounds,
    ...(slo ? { slo } : {}),
    ...(prometheus ? { latencySource: prometheus } : {}),
    ...(scaleUp || scaleDown
      ? { behavior: { ...(scaleUp ? { scaleUp } : {}), ...(scaleDown ? { scaleDown } : {}) } }
      : {}),
  };
}
