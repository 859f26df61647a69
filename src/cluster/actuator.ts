/**
 * The actuator: the only code that turns a Decision into cluster calls (ARCHITECTURE.md). The
 * control loop, every route that changes the cluster, the evaluator and the training
 * environments go through it, so that what is trained and judged is what runs.
 *
 * A change is recorded as `pending` before the cluster is touched; when that write fails
 * nothing is changed and the caller gets a 503 that says retrying is safe. Once the API server
 * accepted the change it is recorded `in_progress` and the call returns: nothing waits for a
 * rollout. The changes in flight are looked at every poll interval and settled `applied` when
 * their rollout finished, `unverified` when it did not in time, `superseded` when another
 * change to the workload came first. One change per workload is being made at a time.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import {
  type Decision,
  type DecisionJournal,
  type DecisionMetrics,
  type DecisionOutcome,
  type DecisionRecord,
  describeDecision,
  type NewDecisionRecord,
  type VerticalDecision,
} from '../core/decision.js';
import { QpError, isQpError } from '../core/errors.js';
import { type Loop, runLoop } from '../core/loop.js';
import type { ContainerResources } from '../core/workload.js';
import { workloadKey } from '../core/workload.js';
import { bytes, millicores } from '../core/units.js';
import {
  type ClusterClient,
  type ClusterEvent,
  type ContainerResourcesMap,
  listAll,
} from './clusterClient.js';
import { containerResources } from './podResources.js';
import { isPodRunning } from './podStatus.js';
import { formatCpu, formatMemory } from './quantity.js';
import { selectorFromMatchLabels } from './selectors.js';

export interface ActuatorObserver {
  /** A record was made (any outcome). */
  decision?(record: DecisionRecord): void;
  /** A change reached its final outcome; `waitedMs` since it was made. */
  settled?(record: DecisionRecord, waitedMs: number): void;
  /** A resize went through the Deployment's template. */
  fallback?(method: string): void;
}

export interface ActuatorDeps {
  cluster: ClusterClient;
  clock: Clock;
  journal: DecisionJournal;
  /** How long a rollout may take before its change is settled as unverified. */
  verifyTimeoutMs?: number;
  /** How often the changes in flight are looked at. */
  pollIntervalMs?: number;
  observer?: ActuatorObserver;
  /** Failures that change no outcome: an Event not recorded, a settle not written. */
  onError?: (namespace: string, name: string, err: unknown) => void;
}

export interface ApplyContext {
  /** Usage and limits per pod when decided, for the record. */
  metrics: DecisionMetrics;
  /** The pod a request named. */
  pod?: string;
  /** The pending record's message. */
  message?: string;
  /**
   * A change the cluster refuses with a 4xx leaves no record (an operator's bad request must
   * leave the store as it was); the loop's refused attempts are recorded as failed instead.
   */
  forgetRefusals?: boolean;
}

/** What `apply` gives back once the API server accepted the change. */
export interface Applied {
  record: DecisionRecord;
  /** How a resize was made: in place, or through the Deployment's template (and why). */
  resize?: { method: 'in_place' | 'template'; fallbackReason?: string };
  /** Resolves with the record once its outcome is final (applied, unverified, superseded, failed). */
  done: Promise<DecisionRecord>;
}

/** A change in flight, as the loop and `GET /autoscale/status` see it. */
export interface InFlightView {
  workload: string;
  decisionId: number;
  since: number;
  description: string;
}

interface Check {
  state: 'waiting' | 'done' | 'superseded' | 'failed';
  why: string;
}

interface InFlight {
  key: string;
  record: DecisionRecord;
  startedMs: number;
  deadlineMs: number;
  resolve: (r: DecisionRecord) => void;
  done: Promise<DecisionRecord>;
}

const DEFAULT_VERIFY_TIMEOUT_MS = 120_000;
const DEFAULT_POLL_MS = 2_000;

/** The 503 of a decision the store would not take: the cluster was not touched. */
export function storeUnavailable(err: unknown): QpError {
  const message = err instanceof Error ? err.message : String(err);
  return new QpError(
    'QP_ERR_UNAVAILABLE',
    `the decision could not be recorded (${message}): nothing was changed; retrying is safe`,
    { nothingChanged: true },
    { cause: err },
  );
}

/** Whether a failure happened before the cluster was touched (the store refused the record). */
export function isNothingChanged(err: unknown): boolean {
  return isQpError(err, 'QP_ERR_UNAVAILABLE') && err.details?.nothingChanged === true;
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * What a change in flight is tracked by: a workload's replicas and its pods' resources roll
 * out independently (a resize is not undone by a scale), and each pod a deletion removes is a
 * change of its own. A later change of the same key supersedes an earlier one.
 */
export function flightKey(d: Decision): string {
  const w = workloadKey(d);
  switch (d.kind) {
    case 'horizontal':
      return `${w}#replicas`;
    case 'vertical':
      return `${w}#resources`;
    case 'pod_deletion':
      return `${w}#pod/${d.pod}`;
  }
}

interface Made {
  message: string;
  resize?: Applied['resize'];
}

function toQuantities(c: ContainerResources): ContainerResourcesMap[string] {
  const q = (a: ContainerResources['requests']) => ({
    ...(a.cpuMillicores !== undefined ? { cpu: formatCpu(millicores(a.cpuMillicores)) } : {}),
    ...(a.memoryBytes !== undefined ? { memory: formatMemory(bytes(a.memoryBytes)) } : {}),
  });
  return { requests: q(c.requests), limits: q(c.limits) };
}

/** Whether a pod's app containers already have the resources a vertical decision sets. */
function podHasTargets(pod: V1Pod, targets: readonly ContainerResources[]): boolean {
  const now = new Map(containerResources(pod.spec).map((c) => [c.name, c]));
  return targets.every((t) => {
    const c = now.get(t.name);
    return (
      c !== undefined &&
      c.requests.cpuMillicores === t.requests.cpuMillicores &&
      c.requests.memoryBytes === t.requests.memoryBytes &&
      c.limits.cpuMillicores === t.limits.cpuMillicores &&
      c.limits.memoryBytes === t.limits.memoryBytes
    );
  });
}

/** A rollout is done when the controller saw the latest spec and every pod is current and Ready. */
function rolloutState(dep: V1Deployment): { done: boolean; why: string } {
  const want = dep.spec?.replicas ?? 0;
  const s = dep.status ?? {};
  const ready = s.readyReplicas ?? 0;
  const total = s.replicas ?? 0;
  const updated = s.updatedReplicas ?? total;
  const observed = (s.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0);
  const done = observed && ready >= want && total <= want && updated >= want;
  return { done, why: `${ready}/${want} pods ready (${total} pods in all, ${updated} updated)` };
}

export class Actuator {
  private readonly inFlight = new Map<string, InFlight>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private polling?: Promise<void>;
  private loop?: Loop;
  readonly verifyTimeoutMs: number;
  readonly pollIntervalMs: number;

  constructor(private readonly deps: ActuatorDeps) {
    this.verifyTimeoutMs = deps.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    this.pollIntervalMs = deps.pollIntervalMs ?? DEFAULT_POLL_MS;
  }

  /** The change in flight for a workload, if any. */
  changeInFlight(namespace: string, name: string): InFlightView | undefined {
    const w = workloadKey({ namespace, name });
    const f = this.inFlight.get(`${w}#replicas`) ?? this.inFlight.get(`${w}#resources`);
    return f && this.view(f);
  }

  inFlightChanges(): InFlightView[] {
    return [...this.inFlight.values()].map((f) => this.view(f));
  }

  private view(f: InFlight): InFlightView {
    return {
      workload: workloadKey(f.record.decision),
      decisionId: f.record.id,
      since: f.startedMs,
      description: describeDecision(f.record.decision),
    };
  }

  /** Records decisions that change nothing on the cluster (dry run, recommend, no change, cooldown). */
  async record(records: readonly NewDecisionRecord[]): Promise<DecisionRecord[]> {
    const stored = await this.deps.journal.appendMany(records);
    for (const r of stored) this.deps.observer?.decision?.(r);
    return stored;
  }

  /**
   * Records the decision as pending, makes the change, records it in progress and tracks its
   * rollout; resolves once the API server accepted it. A store that cannot be written fails
   * with QP_ERR_UNAVAILABLE before the cluster is touched; a refusal of the cluster is recorded
   * as failed and thrown.
   */
  apply(decision: Decision, context: ApplyContext): Promise<Applied> {
    const key = workloadKey(decision);
    // One change per workload at a time: a second caller waits for the first to be made.
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.applyNow(decision, context),
      () => this.applyNow(decision, context),
    );
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return run;
  }

  private async applyNow(decision: Decision, context: ApplyContext): Promise<Applied> {
    const { clock, journal } = this.deps;
    const what = describeDecision(decision);
    let record: DecisionRecord;
    try {
      record = await journal.append({
        timeMs: clock.now(),
        namespace: decision.namespace,
        workload: decision.name,
        pod: context.pod,
        decision,
        outcome: 'pending',
        message: context.message ?? `about to ${what}`,
        metrics: context.metrics,
      });
    } catch (err) {
      throw storeUnavailable(err);
    }
    this.deps.observer?.decision?.(record);
    let made: Made;
    try {
      made = await this.make(decision);
    } catch (err) {
      if (context.forgetRefusals && isQpError(err) && err.status < 500) {
        await journal
          .discard(record.id)
          .catch((e: unknown) => this.deps.onError?.(decision.namespace, decision.name, e));
        throw err;
      }
      const failed = await this.settle(record, 'failed', `${what} failed: ${errorText(err)}`);
      this.deps.observer?.settled?.(failed, 0);
      throw err;
    }
    return this.track(record, made);
  }

  /** Registers a change the API server accepted and says so in the record and an Event. */
  private async track(record: DecisionRecord, { message: made, resize }: Made): Promise<Applied> {
    const key = flightKey(record.decision);
    const earlier = this.inFlight.get(key);
    if (earlier) await this.finish(earlier, 'superseded', `superseded by decision #${record.id}`);
    const { inProgress, done } = await this.follow(record, made);
    await this.announce(record.decision, {
      type: 'Normal',
      reason: EVENT_REASON[record.decision.kind],
      message: `${record.decision.policy}: ${made} (decision #${record.id})`,
    });
    return { record: inProgress, done, ...(resize ? { resize } : {}) };
  }

  /** The cluster calls of a decision; resolves with what was done, in words. */
  private async make(d: Decision): Promise<Made> {
    switch (d.kind) {
      case 'horizontal':
        await this.deps.cluster.scaleWorkload(d.namespace, d.name, d.replicas.desired);
        return {
          message: `scaled ${d.name} from ${d.replicas.current} to ${d.replicas.desired} replicas`,
        };
      case 'vertical':
        return this.resize(d);
      case 'pod_deletion':
        await this.deps.cluster.deletePod(
          d.namespace,
          d.pod,
          d.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: d.gracePeriodSeconds },
        );
        return { message: `deleted pod ${d.pod} (${d.podStatus})` };
    }
  }

  private async resize(d: VerticalDecision): Promise<Made> {
    const { cluster } = this.deps;
    const change: ContainerResourcesMap = Object.fromEntries(
      d.containers.map((c) => [c.name, toQuantities(c)]),
    );
    // A named pod is resized as asked (the cluster refuses one that is not running).
    const targets = d.pod
      ? [await cluster.getPod(d.namespace, d.pod)]
      : (await this.podsOf(d.namespace, d.name)).filter(
          (p) => isPodRunning(p) && !podHasTargets(p, d.containers),
        );
    const resized: string[] = [];
    for (const pod of targets) {
      const name = pod.metadata?.name ?? '';
      let result;
      try {
        result = await cluster.resizePod(d.namespace, name, change, {
          fallbackToTemplate: d.templateFallback,
        });
      } catch (err) {
        if (resized.length === 0) throw err;
        throw new Error(
          `resized ${resized.join(', ')} in place, then ${name} failed: ${errorText(err)}`,
          { cause: err },
        );
      }
      if (result.method === 'template') {
        this.deps.observer?.fallback?.('template');
        // The template rolls every pod: one update is enough.
        return {
          message: `${describeDecision(d)} through the Deployment's template (${result.fallbackReason ?? 'in place refused'})`,
          resize: { method: 'template', fallbackReason: result.fallbackReason },
        };
      }
      resized.push(name);
    }
    return {
      message: `${describeDecision(d)} in place (${resized.length ? resized.join(', ') : 'no running pod needed it'})`,
      resize: { method: 'in_place' },
    };
  }

  private async podsOf(namespace: string, name: string): Promise<V1Pod[]> {
    const dep = await this.deps.cluster.getWorkload(namespace, name);
    return listAll((o) => this.deps.cluster.listPods(o), {
      namespace,
      labelSelector: selectorFromMatchLabels(dep.spec?.selector?.matchLabels),
      limit: 500,
    });
  }

  /** A change's rollout, looked at once. */
  private async check(r: DecisionRecord): Promise<Check> {
    const d = r.decision;
    const { cluster } = this.deps;
    try {
      if (d.kind === 'pod_deletion') {
        const pod = await cluster.getPod(d.namespace, d.pod);
        return { state: 'waiting', why: `pod ${d.pod} is still there (${pod.status?.phase})` };
      }
      const dep = await cluster.getWorkload(d.namespace, d.name);
      if (d.kind === 'horizontal' && (dep.spec?.replicas ?? 0) !== d.replicas.desired)
        return {
          state: 'superseded',
          why: `spec.replicas became ${dep.spec?.replicas ?? 0} (changed by someone else)`,
        };
      if (d.kind === 'vertical') return await this.checkResize(d, dep);
      const rollout = rolloutState(dep);
      return { state: rollout.done ? 'done' : 'waiting', why: rollout.why };
    } catch (err) {
      if (isQpError(err, 'QP_ERR_NOT_FOUND'))
        return d.kind === 'pod_deletion'
          ? { state: 'done', why: `pod ${d.pod} is gone` }
          : { state: 'failed', why: `${d.namespace}/${d.name} no longer exists` };
      // A blip of the API server is not the end of a verification: look again next time.
      return { state: 'waiting', why: errorText(err) };
    }
  }

  /** Through the template: done when it rolled out; in place: when no pod is still resizing. */
  private async checkResize(d: VerticalDecision, dep: V1Deployment): Promise<Check> {
    if (podHasTargets({ spec: dep.spec?.template?.spec }, d.containers)) {
      const rollout = rolloutState(dep);
      return { state: rollout.done ? 'done' : 'waiting', why: rollout.why };
    }
    const pods = d.pod
      ? [await this.deps.cluster.getPod(d.namespace, d.pod)]
      : await this.podsOf(d.namespace, d.name);
    for (const p of pods.filter(isPodRunning)) {
      const resizing = p.status?.conditions?.find(
        (c) => c.type === 'PodResizePending' || c.type === 'PodResizeInProgress',
      );
      if (resizing?.type === 'PodResizePending' && resizing.reason === 'Infeasible')
        return {
          state: 'failed',
          why: `the node cannot fit pod ${p.metadata?.name}'s resize: ${resizing.message ?? 'infeasible'}`,
        };
      if (resizing)
        return {
          state: 'waiting',
          why: `pod ${p.metadata?.name} is resizing (${resizing.type}${resizing.reason ? `: ${resizing.reason}` : ''})`,
        };
    }
    return { state: 'done', why: 'every pod has its new resources' };
  }

  /** Looks at every change in flight once; settles those whose rollout ended or timed out. */
  poll(): Promise<void> {
    this.polling ??= this.pollNow().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollNow(): Promise<void> {
    for (const f of [...this.inFlight.values()]) {
      const c = await this.check(f.record);
      if (this.inFlight.get(f.key) !== f) continue;
      const waited = Math.round((this.deps.clock.now() - f.startedMs) / 1000);
      if (c.state === 'done')
        await this.finish(f, 'applied', `${f.record.message}; done after ${waited} s`);
      else if (c.state === 'superseded') await this.finish(f, 'superseded', c.why);
      else if (c.state === 'failed')
        await this.finish(f, 'failed', `${f.record.message}, but ${c.why}`);
      else if (this.deps.clock.now() >= f.deadlineMs)
        await this.finish(
          f,
          'unverified',
          `${f.record.message}, not confirmed after ${Math.round(this.verifyTimeoutMs / 1000)} s: ${c.why}`,
        );
    }
  }

  private async finish(f: InFlight, outcome: DecisionOutcome, message: string): Promise<void> {
    this.inFlight.delete(f.key);
    const settled = await this.settle(f.record, outcome, message);
    this.deps.observer?.settled?.(settled, this.deps.clock.now() - f.startedMs);
    if (outcome === 'unverified' || outcome === 'failed')
      await this.announce(f.record.decision, {
        type: 'Warning',
        reason: outcome === 'failed' ? 'QpilotFailed' : 'QpilotUnverified',
        message: `${f.record.decision.policy}: ${message} (decision #${f.record.id})`,
      });
    f.resolve(settled);
  }

  /** Writes an outcome; a store that fails here is logged: the change stands either way. */
  private async settle(
    r: DecisionRecord,
    outcome: DecisionOutcome,
    message: string,
  ): Promise<DecisionRecord> {
    const now = this.deps.clock.now();
    try {
      await this.deps.journal.settle(r.id, outcome, message, now);
    } catch (err) {
      this.deps.onError?.(r.namespace, r.workload, err);
    }
    return { ...r, outcome, message, settledMs: now };
  }

  /** An Event on the Deployment; its failure changes nothing else. */
  private async announce(d: Decision, event: ClusterEvent): Promise<void> {
    try {
      await this.deps.cluster.recordEvent(
        { kind: 'Deployment', namespace: d.namespace, name: d.name },
        { ...event, message: event.message.slice(0, 1024) },
      );
    } catch (err) {
      this.deps.onError?.(d.namespace, d.name, err);
    }
  }

  /**
   * Takes over the changes a previous run (or a previous leader) left open. An in-progress
   * change is tracked again; a pending one is checked against the cluster: made (the cluster
   * shows it) means tracked, not made means failed, so that it is never made twice.
   */
  async resume(): Promise<number> {
    const open = await this.deps.journal.unsettled();
    // The newest record of a workload wins; older open ones were overtaken.
    const latest = new Map<string, DecisionRecord>();
    for (const r of open) latest.set(flightKey(r.decision), r);
    let resumed = 0;
    for (const r of open) {
      const key = flightKey(r.decision);
      if (this.inFlight.get(key)?.record.id === r.id) continue;
      if (latest.get(key) !== r) {
        await this.settle(r, 'superseded', 'superseded by a later decision before it was verified');
        continue;
      }
      if (r.outcome === 'in_progress' || (await this.wasMade(r))) {
        await this.trackResumed(r);
        resumed++;
      } else
        await this.settle(
          r,
          'failed',
          `qpilot stopped before making this change; nothing was changed (${describeDecision(r.decision)})`,
        );
    }
    return resumed;
  }

  private async trackResumed(r: DecisionRecord): Promise<void> {
    const message =
      r.outcome === 'in_progress'
        ? r.message.replace(/; verifying$/, '')
        : `${describeDecision(r.decision)} (made before qpilot stopped)`;
    await this.follow(r, message);
  }

  /**
   * Records a made change as in progress and puts it among the changes in flight; `made` says
   * what was done, in words. Its rollout gets the verification timeout from when it was decided.
   */
  private async follow(
    record: DecisionRecord,
    made: string,
  ): Promise<{ inProgress: DecisionRecord; done: Promise<DecisionRecord> }> {
    const key = flightKey(record.decision);
    const inProgress = await this.settle(record, 'in_progress', `${made}; verifying`);
    let resolve!: (r: DecisionRecord) => void;
    const done = new Promise<DecisionRecord>((r) => (resolve = r));
    this.inFlight.set(key, {
      key,
      record: { ...inProgress, message: made },
      startedMs: record.timeMs,
      deadlineMs: Math.max(this.deps.clock.now(), record.timeMs + this.verifyTimeoutMs),
      resolve,
      done,
    });
    return { inProgress, done };
  }

  /** Whether the cluster shows the change of a pending record. */
  private async wasMade(r: DecisionRecord): Promise<boolean> {
    const d = r.decision;
    const { cluster } = this.deps;
    try {
      switch (d.kind) {
        case 'horizontal':
          return (
            ((await cluster.getWorkload(d.namespace, d.name)).spec?.replicas ?? -1) ===
            d.replicas.desired
          );
        case 'vertical': {
          const pods = d.pod
            ? [await cluster.getPod(d.namespace, d.pod)]
            : await this.podsOf(d.namespace, d.name);
          const running = pods.filter(isPodRunning);
          return running.length > 0 && running.some((p) => podHasTargets(p, d.containers));
        }
        case 'pod_deletion': {
          const pod = await cluster.getPod(d.namespace, d.pod);
          return Boolean(pod.metadata?.deletionTimestamp);
        }
      }
    } catch (err) {
      if (isQpError(err, 'QP_ERR_NOT_FOUND')) return d.kind === 'pod_deletion';
      throw err;
    }
  }

  /** Polls the changes in flight in the background until stopped. */
  start(): void {
    if (this.loop) return;
    this.loop = runLoop(this.deps.clock, async () => {
      try {
        await this.poll();
      } catch (err) {
        this.deps.onError?.('*', '*', err);
      }
      return this.pollIntervalMs;
    });
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    await loop?.stop();
    await this.polling;
  }
}

const EVENT_REASON: Record<Decision['kind'], string> = {
  horizontal: 'QpilotScaled',
  vertical: 'QpilotResized',
  pod_deletion: 'QpilotPodDeleted',
};
