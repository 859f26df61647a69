/**
 * What the API steers: the live settings, the Autoscaler and its loop, the one actuator and
 * the decision log. `POST /config` and `/autoscale/start|stop` change the settings here, and
 * the loop reads them at every cycle. An operator's command (seed 004's scale routes, seed
 * 002's resize, `/pod/confirm`) becomes a `manual` decision here and goes through the same
 * actuator as the loop's: within the namespaces qpilot manages, never on an excluded workload,
 * recorded before it is made, announced with an Event, and starting the workload's cooldown.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import {
  Actuator,
  type ActuatorObserver,
  type Applied,
  isNothingChanged,
} from '../cluster/actuator.js';
import type { ClusterClient, ContainerResourcesMap } from '../cluster/clusterClient.js';
import { deploymentNameOfPod, podMatchesDeployment } from '../cluster/owner.js';
import { containerResources } from '../cluster/podResources.js';
import { UNHEALTHY_POD_STATES } from '../cluster/podStatus.js';
import { applyResourceChanges } from '../cluster/resourceChanges.js';
import { decisionMetrics, observeWorkload } from '../cluster/workloadReading.js';
import type { Clock } from '../core/clock.js';
import {
  type DecisionMetrics,
  type HorizontalDecision,
  type PodDeletionDecision,
  sumRequests,
  type VerticalDecision,
} from '../core/decision.js';
import { QpError, invalidArgument } from '../core/errors.js';
import type { ServiceSignalSource, WorkloadObservation } from '../core/workload.js';
import type { PolicySpec } from '../policies/registry.js';
import type { ScalingPolicy } from '../policies/types.js';
import type { DecisionLog } from '../store/decisionLog.js';
import type { PolicyStateStore } from '../store/policyStates.js';
import { Autoscaler, type AutoscalerObserver } from './autoscaler.js';
import { type ScalingSettings, updateSettings } from './settings.js';
import type { WorkloadPlan } from './workloadSettings.js';
import type { AutopilotController } from './autopilotController.js';
import type { WorkloadCache } from '../cluster/workloadCache.js';

export interface Leadership {
  /** Whether this instance may act now; a standby decides nothing and changes nothing. */
  isLeader(): boolean;
  /** Who holds the lease, for status. */
  holder(): string | undefined;
}

export interface ScalingServiceDeps {
  cluster: ClusterClient;
  clock: Clock;
  settings: ScalingSettings;
  policy: (spec: PolicySpec) => Promise<ScalingPolicy>;
  log: DecisionLog;
  policyStates?: PolicyStateStore;
  leadership?: Leadership;
  /**
   * Whether the cluster can be reached now (a cluster steered through its agent: an agent is
   * connected or polling). The loop skips its cycles while it cannot, instead of failing each.
   */
  reachable?: () => boolean;
  /** How long a rollout may take before its change is settled as unverified. */
  verifyTimeoutMs?: number;
  /** How often changes in flight are looked at. */
  pollIntervalMs?: number;
  concurrency?: number;
  onError?: (namespace: string, name: string, err: unknown) => void;
  observer?: AutoscalerObserver & ActuatorObserver;
  /** Where the latency of workloads with an SLO comes from. */
  signals?: ServiceSignalSource;
  /** The cluster's Autopilots (a real cluster with the CRD). */
  autopilots?: AutopilotController;
  /** Deployments and pods as a watch sees them (a real cluster). */
  cache?: WorkloadCache;
  /** Only Deployments an Autopilot targets are steered. */
  autopilotsOnly?: boolean;
}

/** An operator's change, as the routes report it. */
export interface ManualChange extends Applied {
  namespace: string;
  workload: string;
}

const describeManual = (route: string) => ({
  reasoning: `requested through ${route}`,
  factors: ['manual'],
});

export class ScalingService {
  private current: ScalingSettings;
  readonly actuator: Actuator;
  readonly autoscaler: Autoscaler;
  readonly log: DecisionLog;

  constructor(private readonly deps: ScalingServiceDeps) {
    this.current = { ...deps.settings };
    this.log = deps.log;
    this.actuator = new Actuator({
      cluster: deps.cluster,
      clock: deps.clock,
      journal: deps.log,
      verifyTimeoutMs: deps.verifyTimeoutMs,
      pollIntervalMs: deps.pollIntervalMs,
      observer: deps.observer,
      onError: deps.onError,
    });
    this.autoscaler = new Autoscaler({
      cluster: deps.cluster,
      clock: deps.clock,
      policy: deps.policy,
      actuator: this.actuator,
      log: deps.log,
      policyStates: deps.policyStates,
      concurrency: deps.concurrency,
      onError: deps.onError,
      observer: deps.observer,
      signals: deps.signals,
      autopilots: deps.autopilots,
      cache: deps.cache,
      autopilotsOnly: deps.autopilotsOnly,
      settings: () => this.current,
      shouldRun: () => (deps.leadership?.isLeader() ?? true) && (deps.reachable?.() ?? true),
    });
  }

  settings(): ScalingSettings {
    return this.current;
  }

  /** Applies a `POST /config` body (refused whole when any field is wrong); starts or stops the loop to match. */
  configure(body: unknown): ScalingSettings {
    const next = updateSettings(this.current, body);
    this.current = next;
    if (next.autoScaleEnabled) this.autoscaler.start();
    else void this.autoscaler.stop();
    return next;
  }

  /** Starts the loop if auto-scaling is enabled (at start-up); changes in flight are verified either way. */
  begin(): void {
    this.actuator.start();
    if (this.current.autoScaleEnabled) this.autoscaler.start();
  }

  startLoop(): void {
    this.current = { ...this.current, autoScaleEnabled: true };
    this.autoscaler.start();
  }

  /** Stops the loop; a cycle under way finishes in the background. */
  stopLoop(): Promise<void> {
    this.current = { ...this.current, autoScaleEnabled: false };
    return this.autoscaler.stop();
  }

  /** Seed 002's `GET /autoscale/status`, with what qpilot adds. */
  loopStatus() {
    const s = this.autoscaler.status();
    const leader = this.deps.leadership?.isLeader() ?? true;
    return {
      enabled: this.current.autoScaleEnabled,
      running: s.running,
      interval_seconds: this.current.autoScaleIntervalSec,
      thread_alive: s.running,
      leader,
      leader_identity: this.deps.leadership?.holder() ?? null,
      cluster_reachable: this.deps.reachable?.() ?? true,
      dry_run: this.current.dryRun,
      cycles: s.cycles,
      last_cycle: s.lastCycle
        ? {
            started_at: new Date(s.lastCycle.startedMs).toISOString(),
            duration_ms: s.lastCycle.durationMs,
            workloads: s.lastCycle.workloads,
            errors: s.lastCycle.errors,
          }
        : null,
      in_flight: s.inFlight,
      changes_in_flight: s.changes.map((c) => ({
        workload: c.workload,
        decision_id: c.decisionId,
        since: new Date(c.since).toISOString(),
        change: c.description,
      })),
      failing: s.failing.map((f) => ({
        workload: f.workload,
        failures: f.failures,
        retry_at: new Date(f.retryAtMs).toISOString(),
      })),
    };
  }

  /** Refuses a change on a standby: only the leader acts on the cluster. */
  requireLeader(): void {
    const l = this.deps.leadership;
    if (l && !l.isLeader())
      throw new QpError(
        'QP_ERR_UNAVAILABLE',
        `this instance is a standby; the leader (${l.holder() ?? 'none yet'}) acts on the cluster`,
      );
  }

  /**
   * The Deployment an operator's change is for, if qpilot may change it: in a namespace it
   * manages, not excluded, not `qpilot.io/mode: off`. A 403 names what forbids it.
   */
  async manualTarget(
    namespace: string,
    name: string,
  ): Promise<{ dep: V1Deployment; plan: WorkloadPlan }> {
    this.requireLeader();
    const steered = this.deps.autopilots?.forTarget(namespace, name) !== undefined;
    if (!steered && (this.deps.autopilotsOnly || !this.current.namespaces.includes(namespace)))
      throw new QpError(
        'QP_ERR_FORBIDDEN',
        this.deps.autopilotsOnly
          ? `no Autopilot targets ${namespace}/${name}: qpilot steers only the Deployments an Autopilot targets`
          : `namespace "${namespace}" is not one qpilot manages (namespaces: ${this.current.namespaces.join(', ')})`,
      );
    const dep = await this.deps.cluster.getWorkload(namespace, name);
    const plan = this.autoscaler.planFor(dep);
    if (plan.skip && plan.skip.reason !== 'invalid_annotation')
      throw new QpError('QP_ERR_FORBIDDEN', `qpilot leaves ${name} alone: ${plan.skip.message}`);
    return { dep, plan };
  }

  private async observe(namespace: string, name: string): Promise<WorkloadObservation> {
    return observeWorkload(this.deps.cluster, this.deps.clock, namespace, name);
  }

  private async metricsOf(
    namespace: string,
    name: string,
    observation?: WorkloadObservation,
  ): Promise<DecisionMetrics> {
    try {
      return decisionMetrics(observation ?? (await this.observe(namespace, name)));
    } catch {
      return {
        cpuUsageMillicores: 0,
        memoryUsageBytes: 0,
        cpuLimitMillicores: 0,
        memoryLimitBytes: 0,
      };
    }
  }

  /** Makes an operator's decision through the actuator and starts the workload's cooldown. */
  private async applyManual(
    decision: HorizontalDecision | VerticalDecision | PodDeletionDecision,
    metrics: DecisionMetrics,
    pod?: string,
  ): Promise<ManualChange> {
    // An operator's request the cluster refuses (a 4xx) leaves no record: it was never made.
    const applied = await this.actuator.apply(decision, { metrics, pod, forgetRefusals: true });
    if (decision.kind !== 'pod_deletion')
      this.autoscaler.noteChange(decision.namespace, decision.name, applied.record.timeMs);
    return { ...applied, namespace: decision.namespace, workload: decision.name };
  }

  /**
   * Seed 004's scale routes: the replica count `next(current)` asks for, held within `bounds`
   * (the routes' pod bounds) and the workload's own; undefined when it stays as it is.
   */
  async setReplicas(
    namespace: string,
    name: string,
    next: (current: number) => number,
    options: { route: string; bounds: { min: number; max: number } },
  ): Promise<{
    current: number;
    requested: number;
    desired: number;
    bounds: { min: number; max: number };
    change?: ManualChange;
  }> {
    const { dep, plan } = await this.manualTarget(namespace, name);
    const min = Math.max(options.bounds.min, plan.bounds.minReplicas);
    const max = Math.min(options.bounds.max, plan.bounds.maxReplicas);
    if (min > max)
      throw new QpError(
        'QP_ERR_CONFLICT',
        `${name}'s bounds [${plan.bounds.minReplicas}, ${plan.bounds.maxReplicas}] and the pod bounds [${options.bounds.min}, ${options.bounds.max}] do not overlap`,
      );
    const current = dep.spec?.replicas ?? 0;
    const requested = next(current);
    const desired = Math.min(max, Math.max(min, requested));
    const result = { current, requested, desired, bounds: { min, max } };
    if (desired === current) return result;
    const observation = await this.observe(namespace, name).catch(() => undefined);
    const decision: HorizontalDecision = {
      policy: 'manual',
      kind: 'horizontal',
      namespace,
      name,
      timeMs: this.deps.clock.now(),
      replicas: { current, desired },
      canScale: true,
      explanation: describeManual(options.route),
      ...(desired !== requested
        ? { guardrails: [`replicas held within [${min}, ${max}] (${requested} asked)`] }
        : {}),
    };
    const change = await this.applyManual(
      decision,
      await this.metricsOf(namespace, name, observation),
    );
    return { ...result, change };
  }

  /**
   * Seed 002's resize of one pod: in place, or through its Deployment's template when the
   * cluster refuses and `fallback` allows it. The body is checked against the pod first.
   */
  async resizePod(
    namespace: string,
    podName: string,
    containers: ContainerResourcesMap,
    options: { fallback: boolean; route: string },
  ): Promise<ManualChange & { changes: ContainerResourcesMap }> {
    this.requireLeader();
    const pod = await this.deps.cluster.getPod(namespace, podName);
    const owner = deploymentNameOfPod(pod);
    if (!owner)
      throw invalidArgument(
        `pod "${namespace}/${podName}" is not managed by a Deployment; qpilot changes Deployments' pods`,
      );
    const { dep } = await this.manualTarget(namespace, owner);
    if (!podMatchesDeployment(pod, dep))
      throw invalidArgument(`pod "${namespace}/${podName}" is not selected by Deployment ${owner}`);
    // Validated (a 400 naming the field) before anything is recorded.
    const { changes, containers: merged } = applyResourceChanges(
      pod.spec?.containers ?? [],
      containers,
      `pod "${namespace}/${podName}"`,
    );
    const now = containerResources(pod.spec);
    const after = containerResources({
      containers: merged.map((c) => ({
        name: c.name,
        resources: { requests: { ...c.requests }, limits: { ...c.limits } },
      })),
    });
    const changed = after.filter((c) => Object.hasOwn(changes, c.name));
    const before = sumRequests(now);
    const total = sumRequests(after);
    const decision: VerticalDecision = {
      policy: 'manual',
      kind: 'vertical',
      namespace,
      name: owner,
      timeMs: this.deps.clock.now(),
      cpuMillicores: { current: before.cpuMillicores, desired: total.cpuMillicores },
      memoryBytes: { current: before.memoryBytes, desired: total.memoryBytes },
      containers: changed,
      pod: podName,
      templateFallback: options.fallback,
      canScale: true,
      explanation: describeManual(options.route),
    };
    const change = await this.applyManual(
      decision,
      await this.metricsOf(namespace, owner),
      podName,
    );
    return { ...change, changes };
  }

  /**
   * Seed 004's `/pod/confirm`: every pod of the Deployment that is Pending, CrashLoopBackOff,
   * ImagePullBackOff or Terminating is deleted, each as a decision of its own with an Event.
   */
  async deleteUnhealthyPods(
    namespace: string,
    name: string,
    route: string,
  ): Promise<{
    deleted: { name: string; status: string; decisionId: number }[];
    failed: { name: string; error: string }[];
  }> {
    await this.manualTarget(namespace, name);
    const observation = await this.observe(namespace, name);
    const metrics = decisionMetrics(observation);
    const deleted: { name: string; status: string; decisionId: number }[] = [];
    const failed: { name: string; error: string }[] = [];
    for (const pod of observation.pods) {
      if (!(UNHEALTHY_POD_STATES as readonly string[]).includes(pod.status)) continue;
      const decision: PodDeletionDecision = {
        policy: 'manual',
        kind: 'pod_deletion',
        namespace,
        name,
        timeMs: this.deps.clock.now(),
        pod: pod.name,
        podStatus: pod.status,
        // A Terminating pod is stuck already: remove it without a further grace period.
        ...(pod.status === 'Terminating' ? { gracePeriodSeconds: 0 } : {}),
        canScale: true,
        explanation: {
          reasoning: `pod ${pod.name} is ${pod.status}: removed through ${route}`,
          factors: ['manual', 'unhealthy_pod'],
        },
      };
      try {
        const applied = await this.applyManual(decision, metrics, pod.name);
        deleted.push({ name: pod.name, status: pod.status, decisionId: applied.record.id });
      } catch (err) {
        // The store refusing the record stops the whole request: nothing more is changed.
        if (isNothingChanged(err)) throw err;
        failed.push({ name: pod.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return { deleted, failed };
  }

  async close(): Promise<void> {
    await this.autoscaler.stop();
    await this.actuator.stop();
    await this.log.close();
  }
}
