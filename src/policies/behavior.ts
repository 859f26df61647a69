/**
 * The HPA's `behavior` (autoscaling/v2), applied to any policy's replica decision, as the HPA
 * controller applies it (pkg/controller/podautoscaler, normalizeDesiredReplicasWithBehaviors):
 *
 * - a stabilisation window: a scale-down goes no lower than the highest recommendation of the
 *   window, a scale-up no higher than the lowest;
 * - rate policies: in any `periodSeconds`, at most `value` pods (`Pods`) or `value` per cent of
 *   the replicas at the start of the period (`Percent`); `selectPolicy` Max takes the policy
 *   that allows the most change, Min the least, Disabled forbids that direction.
 *
 * Nothing applies when a direction has no rules: qpilot's own guardrails and cooldown do.
 */

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: { type: 'Pods' | 'Percent'; value: number; periodSeconds: number }[];
}

export interface ScalingBehavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

/** What a workload's past decisions and changes were, which the window and the periods read. */
export interface ReplicaHistory {
  /** Each cycle's recommendation before these limits, oldest first. */
  recommendations: { timeMs: number; replicas: number }[];
  /** Each change made, as a replica delta, oldest first. */
  changes: { timeMs: number; delta: number }[];
}

export interface LimitedReplicas {
  replicas: number;
  /** Why the replicas differ from the recommendation, when they do. */
  limitedBy?: string;
}

const windowMs = (r: ScalingRules | undefined) => (r?.stabilizationWindowSeconds ?? 0) * 1000;

/** The history's entries no limit can read any more are dropped (in place). */
export function pruneHistory(h: ReplicaHistory, behavior: ScalingBehavior, nowMs: number): void {
  const keepMs = Math.max(
    windowMs(behavior.scaleUp),
    windowMs(behavior.scaleDown),
    ...[...(behavior.scaleUp?.policies ?? []), ...(behavior.scaleDown?.policies ?? [])].map(
      (p) => p.periodSeconds * 1000,
    ),
  );
  const from = nowMs - keepMs;
  while (h.recommendations.length > 0 && h.recommendations[0]!.timeMs < from)
    h.recommendations.shift();
  while (h.changes.length > 0 && h.changes[0]!.timeMs < from) h.changes.shift();
}

/** The replica count the behavior allows for a recommendation; the history is read, not changed. */
export function limitReplicas(
  current: number,
  recommended: number,
  behavior: ScalingBehavior,
  history: ReplicaHistory,
  nowMs: number,
): LimitedReplicas {
  let replicas = recommended;
  let limitedBy: string | undefined;
  // Stabilisation, over the recommendations of the window and this one.
  const up = recommended > current;
  const rules = up ? behavior.scaleUp : behavior.scaleDown;
  const win = windowMs(rules);
  if (win > 0) {
    const inWindow = history.recommendations
      .filter((r) => r.timeMs > nowMs - win)
      .map((r) => r.replicas);
    if (up) {
      const lowest = Math.min(recommended, ...inWindow);
      if (lowest < replicas) {
        replicas = Math.max(current, lowest);
        limitedBy = `scaleUp.stabilizationWindowSeconds: the lowest recommendation of the last ${win / 1000} s is ${lowest}`;
      }
    } else if (recommended < current) {
      const highest = Math.max(recommended, ...inWindow);
      if (highest > replicas) {
        replicas = Math.min(current, highest);
        limitedBy = `scaleDown.stabilizationWindowSeconds: the highest recommendation of the last ${win / 1000} s is ${highest}`;
      }
    }
  }
  if (replicas === current || !rules) return { replicas, ...(limitedBy ? { limitedBy } : {}) };
  // Rate policies, against the replicas at the start of each period.
  const direction = replicas > current ? 'scaleUp' : 'scaleDown';
  if (rules.selectPolicy === 'Disabled')
    return { replicas: current, limitedBy: `${direction}.selectPolicy is Disabled` };
  const policies = rules.policies ?? [];
  if (policies.length === 0) return { replicas, ...(limitedBy ? { limitedBy } : {}) };
  const limits = policies.map((p) => {
    const since = nowMs - p.periodSeconds * 1000;
    const moved = history.changes
      .filter((c) => c.timeMs > since && (direction === 'scaleUp' ? c.delta > 0 : c.delta < 0))
      .reduce((s, c) => s + c.delta, 0);
    const base = current - moved;
    if (direction === 'scaleUp')
      return p.type === 'Pods' ? base + p.value : Math.ceil(base * (1 + p.value / 100));
    return p.type === 'Pods' ? base - p.value : Math.floor(base * (1 - p.value / 100));
  });
  // Max: the policy that allows the most change; Min: the least.
  const most = rules.selectPolicy !== 'Min';
  const bound =
    direction === 'scaleUp'
      ? most
        ? Math.max(...limits)
        : Math.min(...limits)
      : most
        ? Math.min(...limits)
        : Math.max(...limits);
  if (direction === 'scaleUp' && replicas > bound) {
    const allowed = Math.max(current, bound);
    return {
      replicas: allowed,
      limitedBy: `${direction}.policies allow ${allowed} replicas now (${recommended} recommended)`,
    };
  }
  if (direction === 'scaleDown' && replicas < bound) {
    const allowed = Math.min(current, Math.max(0, bound));
    return {
      replicas: allowed,
      limitedBy: `${direction}.policies allow ${allowed} replicas now (${recommended} recommended)`,
    };
  }
  return { replicas, ...(limitedBy ? { limitedBy } : {}) };
}
