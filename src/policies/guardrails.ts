/**
 * Guardrails, in one place: every decision, whichever policy made it, is held within the
 * workload's bounds and rate limits here, and a vertical one above what the pods use; a policy that throws or answers with non-finite
 * numbers is replaced by its fallback (the HPA), and the fallback is recorded in the decision
 * and counted.
 */
import type { Decision, PolicyInput, ResourceChange, ScalingPolicy } from './types.js';
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

function guardResource(
  change: ResourceChange,
  lo: number,
  hi: number,
  maxFraction: number,
  label: string,
  notes: string[],
  floor?: { value: number; why: string },
): ResourceChange {
  let next = change.new;
  const current = change.current;
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
  const round = (x: number) => Math.round(x * 1000) / 1000;
  next = round(next);
  return {
    current,
    new: next,
    change_percent: current > 0 ? round(((next - current) / current) * 100) : 0,
    action: next > current ? 'INCREASE' : next < current ? 'DECREASE' : 'MAINTAIN',
  };
}

/** A pod is using this share of its CPU or more: lowering the request would throttle it. */
const CPU_BUSY_FRACTION = 0.85;
/** Memory below the busiest pod's usage times this is raised (the VPA's safety margin) ... */
const MEMORY_MARGIN = 1.15;
/** ... to its usage times this, which is also as low as a decrease goes: a band, not a line. */
const MEMORY_TARGET_MARGIN = 1.3;
/** Smaller changes are not made: a resize every 15 s for a few per cent is churn. */
const MIN_CHANGE_FRACTION = 0.05;

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
function resourceFloors(input: PolicyInput, cpuCores: number, memoryMiB: number): ResourceFloors {
  const pods = activePods(input.observation);
  const floors: ResourceFloors = {
    cpu: { value: cpuCores, why: 'cpu not lowered without usage metrics' },
    memory: { value: memoryMiB, why: 'memory not lowered without usage metrics' },
  };
  const measured = pods.filter((p) => p.ready && p.usage);
  if (measured.length > 0) {
    let cpuFloor = 0;
    let busiestMemoryMiB = 0;
    for (const p of measured) {
      const usage = p.usage!;
      const ceiling = (p.cpuLimitMillicores || p.cpuRequestMillicores) / 1000;
      const cpu = usage.cpuMillicores / 1000;
      cpuFloor = Math.max(
        cpuFloor,
        cpu >= CPU_BUSY_FRACTION * ceiling ? cpuCores : cpu / CPU_BUSY_FRACTION,
      );
      busiestMemoryMiB = Math.max(busiestMemoryMiB, usage.memoryBytes / 2 ** 20);
    }
    floors.cpu = {
      value: Math.min(cpuFloor, cpuCores),
      why: `cpu kept above the busiest pod's usage with ${Math.round((1 / CPU_BUSY_FRACTION - 1) * 100)} % headroom`,
    };
    floors.memory =
      memoryMiB < busiestMemoryMiB * MEMORY_MARGIN
        ? {
            value: busiestMemoryMiB * MEMORY_TARGET_MARGIN,
            why: `memory raised to ${Math.round((MEMORY_TARGET_MARGIN - 1) * 100)} % above the busiest pod's usage`,
          }
        : {
            value: Math.min(memoryMiB, busiestMemoryMiB * MEMORY_TARGET_MARGIN),
            why: `memory kept ${Math.round((MEMORY_TARGET_MARGIN - 1) * 100)} % above the busiest pod's usage`,
          };
  }
  const oomKilled = pods.some(
    (p) => p.lastTerminationReason === 'OOMKilled' && (!p.ready || p.status === 'CrashLoopBackOff'),
  );
  if (oomKilled)
    floors.memory = {
      value: Math.max(floors.memory!.value, memoryMiB * 1.2, memoryMiB + 100),
      why: 'memory raised after an OOM kill (by 20 %, at least 100 MiB)',
    };
  return floors;
}

/** The decision with bounds and rate limits applied; what changed is listed in `guardrails`. */
export function applyGuardrails(
  decision: Decision,
  input: PolicyInput,
  limits: RateLimits = DEFAULT_RATE_LIMITS,
): Decision {
  const notes: string[] = [...(decision.guardrails ?? [])];
  const b = input.bounds;
  const out: Decision = { ...decision };
  if (decision.replicas) {
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
    if (bounded !== desired)
      notes.push(`replicas held within [${b.minReplicas}, ${b.maxReplicas}]`);
    out.replicas = { current, desired: bounded };
    out.canScale = bounded !== current;
  }
  if (decision.resources) {
    const floors = resourceFloors(
      input,
      decision.resources.cpu.current,
      decision.resources.memory.current,
    );
    const cpu = guardResource(
      decision.resources.cpu,
      b.minCpuMillicores / 1000,
      b.maxCpuMillicores / 1000,
      limits.maxResourceChangeFraction,
      'cpu',
      notes,
      floors.cpu,
    );
    const memory = guardResource(
      decision.resources.memory,
      b.minMemoryBytes / 2 ** 20,
      b.maxMemoryBytes / 2 ** 20,
      limits.maxResourceChangeFraction,
      'memory',
      notes,
      floors.memory,
    );
    out.resources = { cpu, memory };
    out.canScale = cpu.action !== 'MAINTAIN' || memory.action !== 'MAINTAIN';
  }
  if (notes.length > 0) out.guardrails = notes;
  return out;
}

/** Whether every number a decision carries is finite, and replicas are whole. */
export function decisionIsSound(d: Decision): boolean {
  const nums: number[] = [];
  if (d.replicas) nums.push(d.replicas.current, d.replicas.desired);
  if (d.resources)
    for (const r of [d.resources.cpu, d.resources.memory])
      nums.push(r.current, r.new, r.change_percent);
  for (const q of Object.values(d.qValues ?? {})) nums.push(...q);
  if (!nums.every(Number.isFinite)) return false;
  return !d.replicas || (Number.isInteger(d.replicas.desired) && d.replicas.desired >= 0);
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
  const guarded = (input: PolicyInput, primary: () => Decision): Decision => {
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
      let batch: Decision[] | undefined;
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
    close: () => {
      policy.close?.();
      fallback.close?.();
    },
  };
}
