/**
 * The control loop, level-based as Kubernetes controllers are: each cycle observes every
 * Deployment of the configured namespaces, decides for all of them (one batch per policy),
 * applies the guardrails, and issues the changes through the actuator — a bounded pool of
 * concurrent changes, one at a time per workload — without ever waiting for a rollout. A
 * workload whose change is still rolling out is skipped as `in_progress` until the actuator
 * settles it. A failure in one workload is recorded, backed off and retried, and never stops
 * the others. Cooldowns, changes in flight and policy history come back from the store when
 * this instance starts or becomes the leader.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import { type Actuator, isNothingChanged, storeUnavailable } from '../cluster/actuator.js';
import type { ClusterClient } from '../cluster/clusterClient.js';
import {
  decisionMetrics,
  observationFrom,
  observeWorkload,
  snapshotNamespace,
} from '../cluster/workloadReading.js';
import type { Clock } from '../core/clock.js';
import {
  type DecisionOutcome,
  type DecisionRecord,
  describeDecision,
  isScaleUp,
  type NewDecisionRecord,
} from '../core/decision.js';
import { type Loop, runLoop } from '../core/loop.js';
import {
  type ServiceSignalSource,
  type WorkloadObservation,
  workloadKey,
} from '../core/workload.js';
import { applyGuardrails } from '../policies/guardrails.js';
import { parsePolicySpec, type PolicySpec } from '../policies/registry.js';
import type { PolicyDecision, PolicyInput, ScalingPolicy } from '../policies/types.js';
import type { DecisionLog } from '../store/decisionLog.js';
import type { PolicyState, PolicyStateStore } from '../store/policyStates.js';
import type { ScalingSettings } from './settings.js';
import { type PlanSkipReason, type WorkloadPlan, planWorkload } from './workloadSettings.js';
import type { Autopilot } from '../cluster/autopilot.js';
import type { WorkloadCache } from '../cluster/workloadCache.js';
import { limitReplicas, pruneHistory, type ReplicaHistory } from '../policies/behavior.js';
import type { AutopilotController } from './autopilotController.js';
import { planFromAutopilot } from './autopilotPlan.js';

export interface AutoscalerDeps {
  cluster: ClusterClient;
  clock: Clock;
  settings: () => ScalingSettings;
  /** The policy for a spec, built once and kept (policies hold per-workload history). */
  policy: (spec: PolicySpec) => Promise<ScalingPolicy>;
  actuator: Actuator;
  log: DecisionLog;
  /** Where policy history is kept between runs and leaders; in memory only when absent. */
  policyStates?: PolicyStateStore;
  /** Changes issued at once (the HPA controller's --concurrent-horizontal-pod-autoscaler-syncs). */
  concurrency?: number;
  onError?: (namespace: string, name: string, err: unknown) => void;
  /** Whether the loop may run a cycle now (leader election); always when absent. */
  shouldRun?: () => boolean;
  observer?: AutoscalerObserver;
  /**
   * Where the latency of a workload with an SLO comes from (the simulator's own, or
   * Prometheus); without one, policies are told there is no latency signal.
   */
  signals?: ServiceSignalSource;
  /** The cluster's Autopilots: their plans win over annotations, and their status is written. */
  autopilots?: AutopilotController;
  /** Deployments and pods as a watch sees them; each cycle lists them when absent. */
  cache?: WorkloadCache;
  /** Only Deployments an Autopilot targets are steered; the namespaces setting adds none. */
  autopilotsOnly?: boolean;
}

/** Latency queries in flight at once in a cycle. */
const SIGNAL_QUERIES_AT_ONCE = 10;

/** `fn` over the items, at most `width` at a time; the results in the items' order. */
async function atMost<T, R>(width: number, items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, width), items.length) }, worker));
  return results;
}

/** What the loop reports as it goes, for metrics. */
export interface AutoscalerObserver {
  cycle?(durationMs: number, results: readonly WorkloadResult[]): void;
}

export type WorkloadStatus = 'success' | 'skipped' | 'error';
export type SkipReason = PlanSkipReason | 'cooldown_period' | 'in_progress' | 'backoff';

export interface WorkloadResult {
  namespace: string;
  name: string;
  status: WorkloadStatus;
  reason?: SkipReason;
  message: string;
  record?: DecisionRecord;
  /** Resolves with the final record of a change that was made, once its rollout is settled. */
  done?: Promise<DecisionRecord>;
  /** The failure itself, when status is error, for callers that answer with its code. */
  error?: unknown;
}

interface Failure {
  count: number;
  retryAtMs: number;
  /** What went wrong the last time, so that a skip for backoff can say it. */
  lastError: string;
}

/** A workload that reached the policy: its plan, what was seen, and the pod a request named. */
interface Item {
  plan: WorkloadPlan;
  observation: WorkloadObservation;
  pod?: string;
  ignoreBackoff?: boolean;
}

interface Decided {
  item: Item;
  decision: PolicyDecision;
}

const MAX_BACKOFF_MS = 10 * 60_000;
/** Policy history older than this is stale: a restarted qpilot starts those workloads afresh. */
const STATE_MAX_AGE_MS = 24 * 3_600_000;
/** The longest cooldown a setting or an annotation can ask for. */
const MAX_COOLDOWN_MS = 24 * 3_600_000;

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const specKey = (s: PolicySpec) => (s.arg === undefined ? s.name : `${s.name}:${s.arg}`);

export class Autoscaler {
  /** Workloads being decided or issued right now. */
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, Failure>();
  /** When each workload was last changed (by the loop or an operator): its cooldown. */
  private readonly lastChangeMs = new Map<string, number>();
  /** Recommendations and changes per workload with an HPA behavior (its window and periods). */
  private readonly replicaHistory = new Map<string, ReplicaHistory>();
  private restored = false;
  private restoring?: Promise<void>;
  private savingStates: Promise<void> = Promise.resolve();
  private loop?: Loop;
  private cycles = 0;
  private lastCycle?: { startedMs: number; durationMs: number; workloads: number; errors: number };

  constructor(private readonly deps: AutoscalerDeps) {}

  /** Starts a workload's cooldown: a change was made to it (by the loop or an operator). */
  noteChange(namespace: string, name: string, timeMs: number): void {
    const key = workloadKey({ namespace, name });
    this.lastChangeMs.set(key, Math.max(this.lastChangeMs.get(key) ?? 0, timeMs));
  }

  /**
   * Takes over from a previous run or leader: the changes it left in flight, the workloads'
   * last changes (their cooldowns) and each policy's history. Nothing is decided before.
   */
  restore(): Promise<void> {
    this.restoring ??= this.restoreNow().finally(() => (this.restoring = undefined));
    return this.restoring;
  }

  private async restoreNow(): Promise<void> {
    const { actuator, log, clock, policyStates } = this.deps;
    await actuator.resume();
    const now = clock.now();
    for (const [key, t] of await log.lastChanges(now - MAX_COOLDOWN_MS))
      this.noteChange(...splitKey(key), t);
    if (policyStates) {
      for (const s of await policyStates.load(now - STATE_MAX_AGE_MS)) {
        try {
          const policy = await this.deps.policy(parsePolicySpec(s.policy));
          policy.importState?.(s.namespace, s.workload, s.state);
        } catch (err) {
          // A policy that no longer exists (or cannot be built) starts afresh.
          this.deps.onError?.(s.namespace, s.workload, err);
        }
      }
    }
    this.restored = true;
  }

  /** Forgets what was restored: a standby's memory goes stale while another instance leads. */
  private invalidate(): void {
    this.restored = false;
    // What this instance wrote may have been overwritten by the leader since.
    this.deps.autopilots?.forget();
  }

  /**
   * One cycle over every Deployment of the configured namespaces and every Deployment an
   * Autopilot targets, wherever it is.
   */
  async runOnce(): Promise<WorkloadResult[]> {
    const { clock, actuator, autopilots } = this.deps;
    const started = clock.now();
    if (!this.restored) await this.restore();
    // Settle the rollouts that finished, so that their workloads are decided again now.
    await actuator.poll();
    const results: WorkloadResult[] = [];
    const items: Item[] = [];
    if (autopilots && !autopilots.beginCycle()) {
      // A workload's Autopilot may say Off: nothing is decided until they are known.
      results.push({
        namespace: '*',
        name: '*',
        status: 'error',
        message: 'the Autopilots are not known yet (their watch is not in sync): nothing decided',
      });
      return this.endCycle(started, results);
    }
    const settings = this.deps.settings();
    const managed = new Set(this.deps.autopilotsOnly ? [] : settings.namespaces);
    const namespaces = [...new Set([...managed, ...(autopilots?.namespaces() ?? [])])];
    const snapshots = await Promise.all(
      namespaces.map((ns) =>
        snapshotNamespace(this.deps.cluster, clock, ns, this.deps.cache).then(
          (s) => ({ ns, s }),
          (err: unknown) => ({ ns, err }),
        ),
      ),
    );
    const plans = new Map<string, WorkloadPlan>();
    const deploymentsOf = new Map<string, readonly V1Deployment[]>();
    for (const snap of snapshots) {
      if ('err' in snap) {
        results.push({
          namespace: snap.ns,
          name: '*',
          status: 'error',
          message: `observing namespace ${snap.ns} failed: ${errorText(snap.err)}`,
          error: snap.err,
        });
        continue;
      }
      deploymentsOf.set(snap.ns, snap.s.deployments);
      for (const dep of snap.s.deployments) {
        const ap = autopilots?.forTarget(snap.ns, dep.metadata?.name ?? '');
        // Outside qpilot's namespaces, only a Deployment an Autopilot targets is steered.
        if (!ap && !managed.has(snap.ns)) continue;
        const plan = this.planOf(dep, ap);
        plans.set(workloadKey(plan), plan);
        const gate = this.admit(plan);
        if ('result' in gate) results.push(gate.result);
        else items.push({ plan, observation: observationFrom(snap.s, dep) });
      }
    }
    results.push(...(await this.process(items)));
    if (autopilots) await this.reportAutopilots(autopilots, results, plans, deploymentsOf);
    return this.endCycle(started, results);
  }

  private endCycle(started: number, results: WorkloadResult[]): WorkloadResult[] {
    this.cycles++;
    const durationMs = this.deps.clock.now() - started;
    this.deps.observer?.cycle?.(durationMs, results);
    this.lastCycle = {
      startedMs: started,
      durationMs,
      workloads: results.length,
      errors: results.filter((r) => r.status === 'error').length,
    };
    return results;
  }

  /** Each Autopilot's status after the cycle; a change's final outcome once it settles. */
  private async reportAutopilots(
    autopilots: AutopilotController,
    results: readonly WorkloadResult[],
    plans: ReadonlyMap<string, WorkloadPlan>,
    deploymentsOf: ReadonlyMap<string, readonly V1Deployment[]>,
  ): Promise<void> {
    const byWorkload = new Map(results.map((r) => [workloadKey(r), r]));
    const dryRun = this.deps.settings().dryRun;
    const view = (ap: Autopilot) => {
      const key = workloadKey({ namespace: ap.metadata.namespace, name: ap.spec.targetRef.name });
      const steered = autopilots.forTarget(ap.metadata.namespace, ap.spec.targetRef.name) === ap;
      const result = steered ? byWorkload.get(key) : undefined;
      result?.done?.then(
        (final) => autopilots.settled(ap, final),
        () => undefined,
      );
      return {
        deployments: deploymentsOf.get(ap.metadata.namespace),
        result,
        plan: steered ? plans.get(key) : undefined,
        dryRun,
      };
    };
    await autopilots.endCycle(view);
  }

  /** One workload by name, now (seed 002's POST /scale/pod names a pod of it). */
  async processWorkload(
    namespace: string,
    name: string,
    pod?: string,
    /** `deployment`: the Deployment as the caller has just read it, so as not to read it again. */
    options: { ignoreBackoff?: boolean; deployment?: V1Deployment } = {},
  ): Promise<WorkloadResult> {
    if (!this.restored) await this.restore();
    await this.deps.actuator.poll();
    const dep = options.deployment ?? (await this.deps.cluster.getWorkload(namespace, name));
    const gate = this.admit(this.planFor(dep), options.ignoreBackoff);
    if ('result' in gate) return gate.result;
    let observation: WorkloadObservation;
    try {
      observation = await observeWorkload(this.deps.cluster, this.deps.clock, namespace, name);
    } catch (err) {
      this.processing.delete(workloadKey(gate.plan));
      return this.failed({ plan: gate.plan }, err);
    }
    const [result] = await this.process([
      { plan: gate.plan, observation, pod, ignoreBackoff: options.ignoreBackoff },
    ]);
    return result!;
  }

  /** What qpilot does with a Deployment: its Autopilot's plan, else its annotations'. */
  planFor(dep: V1Deployment): WorkloadPlan {
    const ap = this.deps.autopilots?.forTarget(
      dep.metadata?.namespace ?? 'default',
      dep.metadata?.name ?? '',
    );
    return this.planOf(dep, ap);
  }

  private planOf(dep: V1Deployment, ap: Autopilot | undefined): WorkloadPlan {
    const settings = this.deps.settings();
    return ap ? planFromAutopilot(ap, dep, settings) : planWorkload(dep, settings);
  }

  /** The plan, or why its workload is left alone now. */
  private admit(
    plan: WorkloadPlan,
    ignoreBackoff = false,
  ): { plan: WorkloadPlan } | { result: WorkloadResult } {
    const { namespace, name } = plan;
    const skip = (reason: SkipReason, message: string) => ({
      result: { namespace, name, status: 'skipped' as const, reason, message },
    });
    if (plan.skip) return skip(plan.skip.reason, plan.skip.message);
    const key = workloadKey(plan);
    const flight = this.deps.actuator.changeInFlight(namespace, name);
    if (flight)
      return skip(
        'in_progress',
        `${name} is changing: ${flight.description} (decision #${flight.decisionId}) is rolling out`,
      );
    if (this.processing.has(key)) return skip('in_progress', `${name} is being processed already`);
    const failure = this.failures.get(key);
    const now = this.deps.clock.now();
    if (failure && now < failure.retryAtMs && !ignoreBackoff)
      return skip(
        'backoff',
        `${name} failed ${failure.count} time(s), last: ${failure.lastError}; next attempt in ${Math.ceil((failure.retryAtMs - now) / 1000)} s`,
      );
    // Claimed now, synchronously: a second caller sees it at once. process() releases it.
    this.processing.add(key);
    return { plan };
  }

  /** Decides for the items (a batch per policy), records what changes nothing, issues the rest. */
  private async process(items: Item[]): Promise<WorkloadResult[]> {
    try {
      const { decided, results } = await this.decide(items);
      const quiet: { d: Decided; outcome: DecisionOutcome; message: string }[] = [];
      const changes: Decided[] = [];
      for (const d of decided) {
        const gate = this.gate(d);
        if (gate) quiet.push({ d, ...gate });
        else changes.push(d);
      }
      const [recorded, issued] = await Promise.all([this.recordQuiet(quiet), this.issue(changes)]);
      this.saveStates(decided);
      return [...results, ...recorded, ...issued];
    } finally {
      for (const item of items) this.processing.delete(workloadKey(item.plan));
    }
  }

  /** Each policy decides for its workloads in one batch; the guardrails apply to every decision. */
  private async decide(items: Item[]): Promise<{ decided: Decided[]; results: WorkloadResult[] }> {
    const groups = new Map<string, { spec: PolicySpec; items: Item[] }>();
    for (const item of items) {
      const k = specKey(item.plan.policy);
      const g = groups.get(k) ?? { spec: item.plan.policy, items: [] };
      g.items.push(item);
      groups.set(k, g);
    }
    await this.addServiceSignals(items);
    const decided: Decided[] = [];
    const results: WorkloadResult[] = [];
    for (const g of groups.values()) {
      try {
        const policy = await this.deps.policy(g.spec);
        const inputs: PolicyInput[] = g.items.map((item) => ({
          observation: item.observation,
          bounds: item.plan.bounds,
          scaleFactor: item.plan.scaleFactor,
          ...(item.plan.slo ? { slo: item.plan.slo } : {}),
        }));
        const out = policy.decideBatch
          ? policy.decideBatch(inputs)
          : inputs.map((i) => policy.decide(i));
        g.items.forEach((item, i) =>
          decided.push({
            item,
            decision: this.applyBehavior(item.plan, applyGuardrails(out[i]!, inputs[i]!)),
          }),
        );
      } catch (err) {
        for (const item of g.items) results.push(this.failed(item, err));
      }
    }
    return { decided, results };
  }

  /** A replica decision held within the workload's HPA behavior, when it has one. */
  private applyBehavior(plan: WorkloadPlan, decision: PolicyDecision): PolicyDecision {
    if (!plan.behavior || decision.kind !== 'horizontal') return decision;
    const key = workloadKey(plan);
    const now = this.deps.clock.now();
    const history = this.replicaHistory.get(key) ?? { recommendations: [], changes: [] };
    this.replicaHistory.set(key, history);
    pruneHistory(history, plan.behavior, now);
    const { current, desired } = decision.replicas;
    const limited = limitReplicas(current, desired, plan.behavior, history, now);
    history.recommendations.push({ timeMs: now, replicas: desired });
    if (limited.replicas === desired) return decision;
    return {
      ...decision,
      replicas: { current, desired: limited.replicas },
      canScale: decision.canScale && limited.replicas !== current,
      guardrails: [...(decision.guardrails ?? []), `behavior: ${limited.limitedBy}`],
    };
  }

  /**
   * The latency of each workload with an SLO, from the signal source. A source that fails
   * leaves the workload without one: its policy says so and decides on CPU alone.
   */
  private async addServiceSignals(items: Item[]): Promise<void> {
    const source = this.deps.signals;
    if (!source) return;
    const wanted = items.filter((item) => item.plan.slo && !item.observation.service);
    // A few queries at a time: a Prometheus is not to be asked a thousand things at once.
    await atMost(SIGNAL_QUERIES_AT_ONCE, wanted, async (item) => {
      const { namespace, name } = item.plan;
      try {
        const service = await source.serviceSignals(namespace, name, item.plan.latencySource);
        if (service) item.observation = { ...item.observation, service };
      } catch (err) {
        this.deps.onError?.(namespace, name, err);
      }
    });
  }

  /** Why a decision is not acted on now, or undefined when it is. */
  private gate(d: Decided): { outcome: DecisionOutcome; message: string } | undefined {
    const { plan } = d.item;
    const decision = d.decision;
    const settings = this.deps.settings();
    const last = this.lastChangeMs.get(workloadKey(plan));
    const inCooldown =
      last !== undefined && this.deps.clock.now() - last < plan.cooldownMs && !isScaleUp(decision);
    if (!decision.canScale)
      return {
        outcome: 'no_change',
        message: decision.explanation.reasoning || 'nothing to change',
      };
    if (inCooldown)
      return {
        outcome: 'cooldown',
        message: `${plan.name} is in cooldown period (${Math.round(plan.cooldownMs / 60_000)} min after its last change)`,
      };
    if (settings.dryRun)
      return { outcome: 'dry_run', message: `dry run: would ${describeDecision(decision)}` };
    if (plan.mode === 'recommend')
      return { outcome: 'recommend', message: `recommendation: ${describeDecision(decision)}` };
    return undefined;
  }

  /** The decisions that change nothing, in one write. */
  private async recordQuiet(
    quiet: { d: Decided; outcome: DecisionOutcome; message: string }[],
  ): Promise<WorkloadResult[]> {
    if (quiet.length === 0) return [];
    const now = this.deps.clock.now();
    const records: NewDecisionRecord[] = quiet.map(({ d, outcome, message }) => ({
      timeMs: now,
      namespace: d.item.plan.namespace,
      workload: d.item.plan.name,
      pod: d.item.pod,
      decision: d.decision,
      outcome,
      message,
      metrics: decisionMetrics(d.item.observation),
    }));
    let stored: DecisionRecord[];
    try {
      stored = await this.deps.actuator.record(records);
    } catch (err) {
      const refused = storeUnavailable(err);
      return quiet.map(({ d }) => this.failed(d.item, refused));
    }
    return quiet.map(({ d, outcome, message }, i) => {
      this.failures.delete(workloadKey(d.item.plan));
      const cooling = outcome === 'cooldown';
      return {
        namespace: d.item.plan.namespace,
        name: d.item.plan.name,
        status: cooling ? ('skipped' as const) : ('success' as const),
        ...(cooling ? { reason: 'cooldown_period' as const } : {}),
        message,
        record: stored[i],
      };
    });
  }

  /** Issues the changes through the actuator, a few at a time; none waits for its rollout. */
  private issue(changes: Decided[]): Promise<WorkloadResult[]> {
    return atMost(this.deps.concurrency ?? 5, changes, (c) => this.issueOne(c));
  }

  private async issueOne({ item, decision }: Decided): Promise<WorkloadResult> {
    const { namespace, name } = item.plan;
    try {
      const applied = await this.deps.actuator.apply(decision, {
        metrics: decisionMetrics(item.observation),
        pod: item.pod,
      });
      this.noteChange(namespace, name, applied.record.timeMs);
      this.failures.delete(workloadKey(item.plan));
      if (decision.kind === 'horizontal')
        this.replicaHistory.get(workloadKey(item.plan))?.changes.push({
          timeMs: applied.record.timeMs,
          delta: decision.replicas.desired - decision.replicas.current,
        });
      return {
        namespace,
        name,
        status: 'success',
        message: applied.record.message,
        record: applied.record,
        done: applied.done,
      };
    } catch (err) {
      return this.failed(item, err);
    }
  }

  /** A workload's failure: recorded for its backoff, reported, never thrown. */
  private failed(item: Pick<Item, 'plan' | 'ignoreBackoff'>, err: unknown): WorkloadResult {
    const { namespace, name } = item.plan;
    const key = workloadKey(item.plan);
    // A store that cannot be written is not the workload's fault: no backoff for it.
    if (!isNothingChanged(err)) {
      const count = (this.failures.get(key)?.count ?? 0) + 1;
      const intervalMs = this.deps.settings().autoScaleIntervalSec * 1000;
      this.failures.set(key, {
        count,
        retryAtMs: this.deps.clock.now() + Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** (count - 1)),
        lastError: errorText(err),
      });
    }
    this.deps.onError?.(namespace, name, err);
    return { namespace, name, status: 'error', message: errorText(err), error: err };
  }

  /** Keeps each decided workload's policy history, in the background, one save at a time. */
  private saveStates(decided: Decided[]): void {
    const store = this.deps.policyStates;
    if (!store || decided.length === 0) return;
    const now = this.deps.clock.now();
    const pending = decided.map((d) => ({ spec: d.item.plan.policy, plan: d.item.plan }));
    this.savingStates = this.savingStates
      .then(async () => {
        const states: PolicyState[] = [];
        for (const { spec, plan } of pending) {
          const policy = await this.deps.policy(spec).catch(() => undefined);
          const state = policy?.exportState?.(plan.namespace, plan.name);
          if (state !== undefined)
            states.push({
              policy: specKey(spec),
              namespace: plan.namespace,
              workload: plan.name,
              state,
            });
        }
        await store.save(states, now);
      })
      .catch((err: unknown) => this.deps.onError?.('*', '*', err));
  }

  /** Resolves once the policy history of the cycles so far is saved. */
  flushStates(): Promise<void> {
    return this.savingStates;
  }

  start(): void {
    if (this.loop) return;
    this.deps.actuator.start();
    this.loop = runLoop(this.deps.clock, async () => {
      // A standby looks again every second, so that it runs a cycle as soon as it leads.
      const leads = this.deps.shouldRun?.() ?? true;
      if (!leads) this.invalidate();
      try {
        if (leads) await this.runOnce();
      } catch (err) {
        this.deps.onError?.('*', '*', err);
      }
      return leads ? this.deps.settings().autoScaleIntervalSec * 1000 : 1000;
    });
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    await loop?.stop();
    await this.savingStates;
  }

  status() {
    const changes = this.deps.actuator.inFlightChanges();
    return {
      running: this.loop !== undefined,
      cycles: this.cycles,
      lastCycle: this.lastCycle,
      // Workloads being decided now, or whose change is rolling out.
      inFlight: [...new Set([...this.processing, ...changes.map((f) => f.workload)])],
      changes,
      failing: [...this.failures.entries()].map(([workload, f]) => ({
        workload,
        failures: f.count,
        retryAtMs: f.retryAtMs,
        lastError: f.lastError,
      })),
    };
  }
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
