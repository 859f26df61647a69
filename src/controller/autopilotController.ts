/**
 * The Autopilot side of the control loop. Before a cycle it says which Autopilot steers which
 * Deployment (from the watched cache, never a listing); after it, it writes each Autopilot's
 * status through the status subresource and records Events on it.
 *
 * A status is written only when it changes in substance: a condition's status or reason, the
 * replicas, the recommendation, or a decision with another action, outcome or policy. A steady
 * workload held cycle after cycle costs the API server nothing, so the requests qpilot makes
 * do not grow with the number of Autopilots (ADR 14). Messages are those of the transition.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import {
  type Autopilot,
  type AutopilotClient,
  type AutopilotCondition,
  type AutopilotDecisionStatus,
  type AutopilotStatus,
  type ConditionType,
} from '../cluster/autopilot.js';
import type { ClusterClient } from '../cluster/clusterClient.js';
import { formatCpu, formatMemory } from '../cluster/quantity.js';
import type { Clock } from '../core/clock.js';
import { canonicalJson } from '../core/canonicalJson.js';
import { bytes, millicores } from '../core/units.js';
import { CHANGE_OUTCOMES, type DecisionRecord, describeDecision } from '../core/decision.js';
import { workloadKey } from '../core/workload.js';
import type { WorkloadResult } from './autoscaler.js';
import type { WorkloadPlan } from './workloadSettings.js';

const MAX_RECENT_ACTIONS = 20;
const STATUS_WRITES_AT_ONCE = 5;

export interface AutopilotControllerDeps {
  client: AutopilotClient;
  cluster: Pick<ClusterClient, 'recordEvent'>;
  clock: Clock;
  onError?: (namespace: string, name: string, err: unknown) => void;
}

/** What a cycle knew about one Autopilot's target. */
export interface AutopilotCycleView {
  /** The namespace's Deployments, or undefined when the namespace could not be read. */
  deployments?: readonly V1Deployment[];
  result?: WorkloadResult;
  plan?: WorkloadPlan;
  dryRun: boolean;
}

export class AutopilotController {
  /** The status last written per Autopilot (by namespace/name), ahead of the watch. */
  private readonly written = new Map<string, { uid?: string; status: AutopilotStatus }>();
  private index = new Map<string, Autopilot>();
  private conflicts: { ap: Autopilot; winner: string }[] = [];
  private all: readonly Autopilot[] = [];

  constructor(private readonly deps: AutopilotControllerDeps) {}

  /**
   * Reads the Autopilots for a cycle; false while they are not known (the watch is out of
   * sync), when no workload may be decided: its Autopilot might say Off.
   */
  beginCycle(): boolean {
    const list = this.deps.client.list();
    if (!list) return false;
    const index = new Map<string, Autopilot>();
    const conflicts: { ap: Autopilot; winner: string }[] = [];
    // The oldest Autopilot of a target wins (as the HPA controller's first owner does).
    const sorted = [...list].sort(
      (a, b) =>
        timeOf(a.metadata.creationTimestamp) - timeOf(b.metadata.creationTimestamp) ||
        a.metadata.name.localeCompare(b.metadata.name),
    );
    for (const ap of sorted) {
      if (ap.spec?.targetRef?.kind !== 'Deployment') continue;
      const key = workloadKey({ namespace: ap.metadata.namespace, name: ap.spec.targetRef.name });
      const first = index.get(key);
      if (first) conflicts.push({ ap, winner: first.metadata.name });
      else index.set(key, ap);
    }
    this.index = index;
    this.conflicts = conflicts;
    this.all = list;
    const names = new Set(list.map((ap) => `${ap.metadata.namespace}/${ap.metadata.name}`));
    for (const key of this.written.keys()) if (!names.has(key)) this.written.delete(key);
    return true;
  }

  /**
   * Forgets the statuses this instance wrote: while it stands by, the leader writes them, and
   * the watched objects are the truth to compare with.
   */
  forget(): void {
    this.written.clear();
  }

  /** Namespaces with an Autopilot: a cycle reads them whatever qpilot's `namespaces` says. */
  namespaces(): string[] {
    return [...new Set(this.all.map((ap) => ap.metadata.namespace))];
  }

  /** The Autopilot that steers a Deployment, if any. */
  forTarget(namespace: string, name: string): Autopilot | undefined {
    return this.index.get(workloadKey({ namespace, name }));
  }

  /** Writes every Autopilot's status after a cycle, a few at a time, only where it changed. */
  async endCycle(view: (ap: Autopilot) => AutopilotCycleView): Promise<void> {
    const losers = new Map(this.conflicts.map((c) => [c.ap, c.winner]));
    const work = this.all.map((ap) => async () => {
      try {
        const v = view(ap);
        if (!v.deployments) return; // the namespace could not be read: nothing is known
        const next = this.statusOf(ap, v, losers.get(ap));
        await this.write(ap, next, v.result?.record);
      } catch (err) {
        this.deps.onError?.(ap.metadata.namespace, ap.metadata.name, err);
      }
    });
    let i = 0;
    await Promise.all(
      Array.from({ length: Math.min(STATUS_WRITES_AT_ONCE, work.length) }, async () => {
        while (i < work.length) await work[i++]!();
      }),
    );
  }

  /** The final outcome of a change an Autopilot's target went through, once its rollout settled. */
  async settled(ap: Autopilot, record: DecisionRecord): Promise<void> {
    const key = `${ap.metadata.namespace}/${ap.metadata.name}`;
    const prev = this.written.get(key)?.status ?? ap.status;
    if (!prev) return;
    const time = new Date(record.timeMs).toISOString();
    const status: AutopilotStatus = {
      ...prev,
      ...(prev.lastDecision?.decisionId === record.id
        ? { lastDecision: { ...prev.lastDecision, outcome: record.outcome } }
        : {}),
      ...(prev.recentActions
        ? {
            recentActions: prev.recentActions.map((a) =>
              a.time === time && a.action === actionOf(record)
                ? { ...a, outcome: record.outcome }
                : a,
            ),
          }
        : {}),
    };
    try {
      await this.write(ap, status);
    } catch (err) {
      this.deps.onError?.(ap.metadata.namespace, ap.metadata.name, err);
    }
  }

  private statusOf(ap: Autopilot, v: AutopilotCycleView, conflictWith?: string): AutopilotStatus {
    const prev =
      this.written.get(`${ap.metadata.namespace}/${ap.metadata.name}`)?.status ?? ap.status ?? {};
    const generation = ap.metadata.generation;
    const dep = v.deployments?.find((d) => d.metadata?.name === ap.spec.targetRef.name);
    const record = v.result?.record;
    const ready = readiness(ap, dep, v, conflictWith);
    const conditions = [
      ready,
      activity(ap, v, ready.status === 'True'),
      ...(record
        ? decisionConditions(record)
        : // Nothing decided this cycle: the last decision's conditions stand.
          (prev.conditions ?? []).filter((c) => c.type === 'Fallback' || c.type === 'Limited')),
    ];
    const status: AutopilotStatus = {
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      conditions: stamp(
        conditions,
        prev,
        new Date(this.deps.clock.now()).toISOString(),
        generation,
      ),
    };
    if (dep) {
      status.currentReplicas = dep.status?.replicas ?? dep.spec?.replicas ?? 0;
      status.desiredReplicas = dep.spec?.replicas ?? 0;
    }
    if (record?.decision.kind === 'horizontal')
      status.desiredReplicas = record.decision.replicas.desired;
    const recommendation = record ? recommendationOf(record) : prev.recommendation;
    if (recommendation) status.recommendation = recommendation;
    const last = record ? decisionStatus(record) : undefined;
    const lastDecision =
      last && (!prev.lastDecision || differs(prev.lastDecision, last)) ? last : prev.lastDecision;
    if (lastDecision) status.lastDecision = lastDecision;
    const actions = recentActions(prev.recentActions ?? [], record);
    if (actions.length > 0) status.recentActions = actions;
    return status;
  }

  private async write(
    ap: Autopilot,
    status: AutopilotStatus,
    record?: DecisionRecord,
  ): Promise<void> {
    const key = `${ap.metadata.namespace}/${ap.metadata.name}`;
    const known = this.written.get(key);
    const prev = known && known.uid === ap.metadata.uid ? known.status : ap.status;
    // Sorted keys: statuses compare alike whatever order their fields came in.
    if (prev && canonicalJson(prev) === canonicalJson(status)) return;
    await this.deps.client.writeStatus(ap.metadata.namespace, ap.metadata.name, status);
    this.written.set(key, { uid: ap.metadata.uid, status });
    await this.announce(ap, prev, status, record);
  }

  /** Events on the Autopilot: each change made, and each time it stops being Ready. */
  private async announce(
    ap: Autopilot,
    prev: AutopilotStatus | undefined,
    next: AutopilotStatus,
    record?: DecisionRecord,
  ): Promise<void> {
    const ref = {
      kind: 'Autopilot' as const,
      namespace: ap.metadata.namespace,
      name: ap.metadata.name,
    };
    const events: { type: 'Normal' | 'Warning'; reason: string; message: string }[] = [];
    if (record && CHANGE_OUTCOMES.includes(record.outcome))
      events.push({
        type: 'Normal',
        reason: record.decision.kind === 'horizontal' ? 'QpilotScaled' : 'QpilotResized',
        message: `${describeDecision(record.decision)} (decision #${record.id}): ${record.decision.explanation.reasoning}`,
      });
    const was = prev?.conditions?.find((c) => c.type === 'Ready');
    const now = next.conditions?.find((c) => c.type === 'Ready');
    if (now?.status === 'False' && (was?.status !== 'False' || was.reason !== now.reason))
      events.push({ type: 'Warning', reason: now.reason, message: now.message });
    for (const e of events) {
      try {
        await this.deps.cluster.recordEvent(ref, e);
      } catch (err) {
        this.deps.onError?.(ap.metadata.namespace, ap.metadata.name, err);
      }
    }
  }
}

type Unstamped = Omit<AutopilotCondition, 'lastTransitionTime'>;

const condition = (
  type: ConditionType,
  ok: boolean,
  reason: string,
  message: string,
): Unstamped => ({
  type,
  status: ok ? 'True' : 'False',
  reason,
  message,
});

/** Ready: the target exists, is a Deployment, is this Autopilot's alone, and the spec holds. */
function readiness(
  ap: Autopilot,
  dep: V1Deployment | undefined,
  v: AutopilotCycleView,
  conflictWith?: string,
): Unstamped {
  const target = ap.spec.targetRef;
  const skip = v.plan?.skip;
  if (target.kind !== 'Deployment')
    return condition(
      'Ready',
      false,
      'UnsupportedTarget',
      `qpilot steers Deployments; ${target.kind} targets are not supported yet`,
    );
  if (conflictWith)
    return condition(
      'Ready',
      false,
      'Conflict',
      `Autopilot ${conflictWith} already steers Deployment ${target.name}`,
    );
  if (!dep)
    return condition(
      'Ready',
      false,
      'TargetNotFound',
      `Deployment ${target.name} does not exist in ${ap.metadata.namespace}`,
    );
  if (skip?.reason === 'invalid_spec')
    return condition('Ready', false, 'InvalidSpec', skip.message);
  if (skip?.reason === 'excluded') return condition('Ready', false, 'Excluded', skip.message);
  return condition('Ready', true, 'TargetFound', `steering Deployment ${target.name}`);
}

/** Active: qpilot changes the target now (Auto, not paused, not in dry run). */
function activity(ap: Autopilot, v: AutopilotCycleView, ready: boolean): Unstamped {
  const mode = ap.spec.mode ?? 'Auto';
  const skip = v.plan?.skip;
  if (!ready) return condition('Active', false, 'NotReady', 'the Autopilot is not ready');
  if (skip?.reason === 'paused') return condition('Active', false, 'Paused', skip.message);
  if (mode === 'Off')
    return condition('Active', false, 'Off', 'mode is Off: qpilot leaves the workload alone');
  if (mode === 'Recommend')
    return condition(
      'Active',
      false,
      'Recommend',
      'mode is Recommend: qpilot decides and records, never changes the workload',
    );
  if (v.dryRun)
    return condition(
      'Active',
      false,
      'DryRun',
      "qpilot's dry_run is on: decisions are recorded, not made",
    );
  return condition('Active', true, 'Acting', 'qpilot changes the workload as its policy decides');
}

/** Fallback (the baseline decided) and Limited (the constraints or behavior changed the decision). */
function decisionConditions(record: DecisionRecord): Unstamped[] {
  const d = record.decision;
  const baseline = d.fallback !== undefined || d.explanation.factors.includes('baseline_decides');
  const limits = d.guardrails ?? [];
  return [
    baseline
      ? condition(
          'Fallback',
          true,
          'BaselineDecides',
          d.fallback?.reason ?? d.explanation.reasoning,
        )
      : condition('Fallback', false, 'PolicyDecides', `${d.policy} decides`),
    limits.length > 0
      ? condition('Limited', true, 'Limited', limits.join('; '))
      : condition(
          'Limited',
          false,
          'WithinLimits',
          'the decision is within the constraints and behavior',
        ),
  ];
}

/** A condition keeps its time and message until its status or reason changes. */
function stamp(
  conditions: (Unstamped | AutopilotCondition)[],
  prev: AutopilotStatus,
  now: string,
  generation: number | undefined,
): AutopilotCondition[] {
  const observed = generation !== undefined ? { observedGeneration: generation } : {};
  return conditions.map((c) => {
    const old = prev.conditions?.find((p) => p.type === c.type);
    if (old && old.status === c.status && old.reason === c.reason) return { ...old, ...observed };
    return { ...c, lastTransitionTime: now, ...observed };
  });
}

/** The changes made, newest first, the decision's own added when it made one. */
function recentActions(
  prev: NonNullable<AutopilotStatus['recentActions']>,
  record: DecisionRecord | undefined,
): NonNullable<AutopilotStatus['recentActions']> {
  if (!record || !CHANGE_OUTCOMES.includes(record.outcome)) return prev;
  const time = new Date(record.timeMs).toISOString();
  const action = actionOf(record);
  if (prev.some((a) => a.time === time && a.action === action)) return prev;
  const limits = record.decision.guardrails ?? [];
  return [
    {
      time,
      action,
      outcome: record.outcome,
      ...(limits.length ? { limitedBy: limits.join('; ') } : {}),
    },
    ...prev,
  ].slice(0, MAX_RECENT_ACTIONS);
}

const timeOf = (t: Date | string | undefined) => (t === undefined ? 0 : new Date(t).getTime());

/** A decision as a short action: "scale 2 → 4", "resize", "hold". */
function actionOf(record: DecisionRecord): string {
  const d = record.decision;
  if (d.kind === 'horizontal')
    return d.replicas.desired === d.replicas.current
      ? 'hold'
      : `scale ${d.replicas.current} → ${d.replicas.desired}`;
  if (d.kind === 'vertical')
    return d.cpuMillicores.desired === d.cpuMillicores.current &&
      d.memoryBytes.desired === d.memoryBytes.current
      ? 'hold'
      : 'resize';
  return `delete pod ${d.pod}`;
}

function decisionStatus(record: DecisionRecord): AutopilotDecisionStatus {
  const d = record.decision;
  const confidences = Object.values(d.confidence ?? {});
  return {
    time: new Date(record.timeMs).toISOString(),
    action: actionOf(record),
    policy: d.policy,
    ...(confidences.length > 0
      ? {
          confidence:
            Math.round((confidences.reduce((s, c) => s + c, 0) / confidences.length) * 1000) / 1000,
        }
      : {}),
    explanation: d.explanation.reasoning,
    outcome: record.outcome,
    decisionId: record.id,
  };
}

/** A decision worth writing: another action, outcome or policy than the last one written. */
const differs = (a: AutopilotDecisionStatus, b: AutopilotDecisionStatus) =>
  a.action !== b.action || a.outcome !== b.outcome || a.policy !== b.policy;

function recommendationOf(record: DecisionRecord): AutopilotStatus['recommendation'] {
  const d = record.decision;
  if (d.kind === 'horizontal') return { replicas: d.replicas.desired };
  if (d.kind === 'vertical')
    return {
      containers: d.containers.map((c) => ({
        name: c.name,
        ...(c.requests.cpuMillicores !== undefined
          ? { cpu: formatCpu(millicores(c.requests.cpuMillicores)) }
          : {}),
        ...(c.requests.memoryBytes !== undefined
          ? { memory: formatMemory(bytes(c.requests.memoryBytes)) }
          : {}),
      })),
    };
  return undefined;
}
