/**
 * Guardrails, in one place: every decision, whichever policy made it, is held within the
 * workload's bounds and rate limits here, and a vertical one above what the pods use; a policy that throws or answers with non-finite
 * numbers is replaced by its fallback (the HPA), and the fallback is recorded in the decision
 * and counted.
 */
import type { HorizontalDecision, VerticalDecision } from '../core/decision.js';
import {
  type PolicyDecision,
  type PolicyInput,
  type ScalingPolicy,
  verticalDecision,
} from './types.js';
import { activePods } from './usage.js';

export interface RateLimits {
  /** Scale up by at most this factor per decision ... */
  maxScaleUpFactor: number;
  /** ... or by this many pods, whichever is more. */
  maxScaleUpPods: number;
  /** Scale down to no less than this fraction of the current replicas per decision. */
  minScaleDownFraction: number;
  /** A vertical change changes a request by at most this fraction per decision. */
  maxResourceChangeFraction: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = {
  maxScaleUpFactor: 2,
  maxScaleUpPods: 4,
  minScaleDownFraction: 0.5,
  maxResourceChangeFraction: 0.5,
};

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

interface Step {
  current: number;
  desired: number;
}

/** One resource of a vertical decision held within the floor, the rate limit and the bounds. */
function guardResource(
  step: Step,
  lo: number,
  hi: number,
  maxFraction: number,
  label: string,
  notes: string[],
  floor?: { value: number; why: string },
): number {
  let next = step.desired;
  const current = step.current;
  if (floor && next < floor.value) {
    notes.push(floor.why);
    next = floor.value;
  }
  if (current > 0) {
    const limited = clamp(next, current * (1 - maxFraction), current * (1 + maxFraction));
    if (limited !== next)
      notes.push(`${label} change limited to ${Math.round(maxFraction * 100)} % per decision`);
    next = limited;
  }
  const bounded = clamp(next, lo, hi);
  if (bounded !== next) notes.push(`${label} held within [${lo}, ${hi}]`);
  next = bounded;
  if (next !== current && Math.abs(next - current) < MIN_CHANGE_FRACTION * current) {
    notes.push(`${label} change under ${MIN_CHANGE_FRACTION * 100} % not made`);
    next = current;
  }
  return next;
}

/** A pod is using this share of its CPU or more: lowering the request would throttle it. */
const CPU_BUSY_FRACTION = 0.85;
/** Memory below the busiest pod's usage times this is raised (the VPA's safety margin) ... */
const MEMORY_MARGIN = 1.15;
/** ... to its usage times this, which is also as low as a decrease goes: a band, not a line. */
const MEMORY_TARGET_MARGIN = 1.3;
/** Smaller changes are not made: a resize every 15 s for a few per cent is churn. */
const MIN_CHANGE_FRACTION = 0.05;

/** Floors in millicores and bytes. */
interface ResourceFloors {
  cpu?: { value: number; why: string };
  memory?: { value: number; why: string };
}

/**
 * How low a vertical decision may go, read from what the pods do now, whichever policy
 * decided: never below what the busiest pod uses (with headroom), never lower blind (no
 * metrics), and up after an OOM kill, as the VPA does. A learned head that wants to shrink
 * memory under a running pod would otherwise get the resize refused or the pod killed.
 */
function resourceFloors(
  input: PolicyInput,
  cpuMillicores: number,
  memoryBytes: number,
): ResourceFloors {
  const pods = activePods(input.observation);
  const floors: ResourceFloors = {
    cpu: { value: cpuMillicores, why: 'cpu not lowered without usage metrics' },
    memory: { value: memoryBytes, why: 'memory not lowered without usage metrics' },
  };
  const measured = pods.filter((p) => p.ready && p.usage);
  if (measured.length > 0) {
    let cpuFloor = 0;
    let busiestMemory = 0;
    for (const p of measured) {
      const usage = p.usage!;
      const ceiling = p.cpuLimitMillicores || p.cpuRequestMillicores;
      const cpu = usage.cpuMillicores;
      cpuFloor = Math.max(
        cpuFloor,
        cpu >= CPU_BUSY_FRACTION * ceiling ? cpuMillicores : cpu / CPU_BUSY_FRACTION,
      );
      busiestMemory = Math.max(busiestMemory, usage.memoryBytes);
    }
    floors.cpu = {
      value: Math.min(cpuFloor, cpuMillicores),
      why: `cpu kept above the busiest pod's usage with ${Math.round((1 / CPU_BUSY_FRACTION - 1) * 100)} % headroom`,
    };
    floors.memory =
      memoryBytes < busiestMemory * MEMORY_MARGIN
        ? {
            value: busiestMemory * MEMORY_TARGET_MARGIN,
            why: `memory raised to ${Math.round((MEMORY_TARGET_MARGIN - 1) * 100)} % above the busiest pod's usage`,
          }
        : {
            value: Math.min(memoryBytes, busiestMemory * MEMORY_TARGET_MARGIN),
            why: `memory kept ${Math.round((MEMORY_TARGET_MARGIN - 1) * 100)} % above the busiest pod's usage`,
          };
  }
  const oomKilled = pods.some(
    (p) => p.lastTerminationReason === 'OOMKilled' && (!p.ready || p.status === 'CrashLoopBackOff'),
  );
  if (oomKilled)
    floors.memory = {
      value: Math.max(floors.memory!.value, memoryBytes * 1.2, memoryBytes + 100 * MIB),
      why: 'memory raised after an OOM kill (by 20 %, at least 100 MiB)',
    };
  return floors;
}

const MIB = 2 ** 20;

/** The decision with bounds and rate limits applied; what changed is listed in `guardrails`. */
export function applyGuardrails<D extends PolicyDecision>(
  decision: D,
  input: PolicyInput,
  limits: RateLimits = DEFAULT_RATE_LIMITS,
): D {
  const notes: string[] = [...(decision.guardrails ?? [])];
  const out: PolicyDecision =
    decision.kind === 'horizontal'
      ? guardReplicas(decision, input, limits, notes)
      : guardResources(decision, input, limits, notes);
  if (notes.length > 0) out.guardrails = notes;
  return out as D;
}

function guardReplicas(
  decision: HorizontalDecision,
  input: PolicyInput,
  limits: RateLimits,
  notes: string[],
): HorizontalDecision {
  const b = input.bounds;
  const current = decision.replicas.current;
  let desired = Math.round(decision.replicas.desired);
  const up = Math.max(
    Math.ceil(current * limits.maxScaleUpFactor),
    current + limits.maxScaleUpPods,
  );
  const down = Math.floor(current * limits.minScaleDownFraction);
  if (desired > up) {
    notes.push(
      `scale-up limited to ${up} replicas (x${limits.maxScaleUpFactor} or +${limits.maxScaleUpPods})`,
    );
    desired = up;
  }
  if (desired < down && current > b.minReplicas) {
    notes.push(
      `scale-down limited to ${down} replicas (${Math.round(limits.minScaleDownFraction * 100)} % of ${current})`,
    );
    desired = down;
  }
  const bounded = clamp(desired, b.minReplicas, b.maxReplicas);
  if (bounded !== desired) notes.push(`replicas held within [${b.minReplicas}, ${b.maxReplicas}]`);
  return { ...decision, replicas: { current, desired: bounded }, canScale: bounded !== current };
}

function guardResources(
  decision: VerticalDecision,
  input: PolicyInput,
  limits: RateLimits,
  notes: string[],
): VerticalDecision {
  const b = input.bounds;
  const cpu0 = decision.cpuMillicores;
  const mem0 = decision.memoryBytes;
  const floors = resourceFloors(input, cpu0.current, mem0.current);
  const cpu = guardResource(
    cpu0,
    b.minCpuMillicores,
    b.maxCpuMillicores,
    limits.maxResourceChangeFraction,
    'cpu',
    notes,
    floors.cpu,
  );
  const memory = guardResource(
    mem0,
    b.minMemoryBytes,
    b.maxMemoryBytes,
    limits.maxResourceChangeFraction,
    'memory',
    notes,
    floors.memory,
  );
  const { cpuMillicores: _c, memoryBytes: _m, containers: _k, canScale: _s, ...rest } = decision;
  const guarded = verticalDecision(
    decision.policy,
    input.observation,
    { cpuMillicores: cpu, memoryBytes: memory },
    rest,
  );
  // What the containers can express (whole millicores and MiB) is what the decision says.
  const canScale =
    guarded.cpuMillicores.desired !== guarded.cpuMillicores.current ||
    guarded.memoryBytes.desired !== guarded.memoryBytes.current;
  return {
    ...guarded,
    cpuMillicores: { current: cpu0.current, desired: guarded.cpuMillicores.desired },
    memoryBytes: { current: mem0.current, desired: guarded.memoryBytes.desired },
    canScale,
  };
}

/** Whether every number a decision carries is finite, and replicas are whole. */
export function decisionIsSound(d: PolicyDecision): boolean {
  const nums: number[] = [];
  if (d.kind === 'horizontal') nums.push(d.replicas.current, d.replicas.desired);
  else {
    nums.push(d.cpuMillicores.current, d.cpuMillicores.desired);
    nums.push(d.memoryBytes.current, d.memoryBytes.desired);
    for (const c of d.containers)
      for (const a of [c.requests, c.limits]) nums.push(a.cpuMillicores ?? 0, a.memoryBytes ?? 0);
  }
  if (!nums.every((n) => Number.isFinite(n) && n >= 0)) return false;
  for (const q of Object.values(d.qValues ?? {})) if (!q.every(Number.isFinite)) return false;
  return d.kind !== 'horizontal' || Number.isInteger(d.replicas.desired);
}

export interface FallbackEvent {
  from: string;
  to: string;
  reason: string;
  namespace: string;
  name: string;
}

/**
 * The policy, with `fallback` taking over when it fails. The fallback decides every time, so
 * that its own history (the HPA's stabilisation window) is current when it is needed.
 */
export function withFallback(
  policy: ScalingPolicy,
  fallback: ScalingPolicy,
  onFallback?: (e: FallbackEvent) => void,
): ScalingPolicy {
  const guarded = (input: PolicyInput, primary: () => PolicyDecision): PolicyDecision => {
    const backup = fallback.decide(input);
    let reason: string;
    try {
      const d = primary();
      if (decisionIsSound(d)) return d;
      reason = `${policy.name} returned a non-finite or invalid decision`;
    } catch (err) {
      reason = `${policy.name} failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    const o = input.observation;
    onFallback?.({
      from: policy.name,
      to: fallback.name,
      reason,
      namespace: o.namespace,
      name: o.name,
    });
    return { ...backup, fallback: { from: policy.name, reason } };
  };
  return {
    name: policy.name,
    kind: policy.kind,
    decide: (input) => guarded(input, () => policy.decide(input)),
    decideBatch: (inputs) => {
      let batch: PolicyDecision[] | undefined;
      try {
        batch = policy.decideBatch ? policy.decideBatch(inputs) : undefined;
      } catch {
        batch = undefined;
      }
      return inputs.map((input, i) =>
        guarded(input, () => (batch ? batch[i]! : policy.decide(input))),
      );
    },
    forget: (namespace, name) => {
      policy.forget?.(namespace, name);
      fallback.forget?.(namespace, name);
    },
    // Both keep history: the fallback decides every time so that its own is current.
    exportState: (namespace, name) => {
      const primary = policy.exportState?.(namespace, name);
      const backup = fallback.exportState?.(namespace, name);
      return primary === undefined && backup === undefined ? undefined : { primary, backup };
    },
    importState: (namespace, name, state) => {
      const s = state as { primary?: unknown; backup?: unknown } | null;
      if (s?.primary !== undefined) policy.importState?.(namespace, name, s.primary);
      if (s?.backup !== undefined) fallback.importState?.(namespace, name, s.backup);
    },
    close: () => {
      policy.close?.();
      fallback.close?.();
    },
  };
}
