/**
 * The control loop: for each workload in the configured namespaces, observe, ask its policy,
 * apply the guardrails, act (unless dry-run or recommend), verify, record. A workload is
 * never processed twice at once; a failure in one is recorded, backed off and retried, and
 * never stops the others.
 */
import type { PodMetric, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { deploymentNameOfPod, podMatchesDeployment } from '../cluster/owner.js';
import {
  type ClusterClient,
  type ContainerResourcesMap,
  listAll,
} from '../cluster/clusterClient.js';
import { selectorFromMatchLabels } from '../cluster/selectors.js';
import { formatCpu, formatMemory, parseCpu, parseMemory } from '../cluster/quantity.js';
import type { Clock } from '../core/clock.js';
import { type Loop, runLoop } from '../core/loop.js';
import { bytes, millicores } from '../core/units.js';
import { applyGuardrails } from '../policies/guardrails.js';
import type { PolicySpec } from '../policies/registry.js';
import type { Decision, ScalingPolicy, WorkloadObservation } from '../policies/types.js';
import { workloadKey } from '../policies/types.js';
import { summarizeUsage } from '../policies/usage.js';
import type { DecisionLog, DecisionOutcome, DecisionRecord } from '../store/decisionLog.js';
import { observeWorkload, workloadObservation } from './observe.js';
import type { ScalingSettings } from './settings.js';
import { type WorkloadPlan, planWorkload } from './workloadSettings.js';

export interface AutoscalerDeps {
  cluster: ClusterClient;
  clock: Clock;
  settings: () => ScalingSettings;
  /** The policy for a spec, built once and kept (policies hold per-workload history). */
  policy: (spec: PolicySpec) => Promise<ScalingPolicy>;
  log: DecisionLog;
  /** How long to wait for the cluster to confirm a change. */
  verifyTimeoutMs?: number;
  onError?: (namespace: string, name: string, err: unknown) => void;
  /** Whether the loop may run a cycle now (leader election); always when absent. */
  shouldRun?: () => boolean;
  observer?: AutoscalerObserver;
}

/** What the loop reports as it goes, for metrics. */
export interface AutoscalerObserver {
  decision?(record: DecisionRecord): void;
  cycle?(durationMs: number, results: readonly WorkloadResult[]): void;
  verification?(waitedMs: number, ok: boolean): void;
  fallback?(method: string): void;
}

export type WorkloadStatus = 'success' | 'skipped' | 'error';
export type SkipReason =
  'cooldown_period' | 'excluded' | 'mode_off' | 'invalid_annotation' | 'in_progress' | 'backoff';

export interface WorkloadResult {
  namespace: string;
  name: string;
  status: WorkloadStatus;
  reason?: SkipReason;
  message: string;
  record?: DecisionRecord;
  /** The failure itself, when status is error, for callers that answer with its code. */
  error?: unknown;
}

interface NamespaceSnapshot {
  deployments: V1Deployment[];
  podsByDeployment: Map<string, V1Pod[]>;
  metrics: ReadonlyMap<string, PodMetric>;
  timeMs: number;
}

interface Failure {
  count: number;
  retryAtMs: number;
}

const MAX_BACKOFF_MS = 10 * 60_000;

export class Autoscaler {
  private readonly inFlight = new Set<string>();
  private readonly lastChangeMs = new Map<string, number>();
  private readonly failures = new Map<string, Failure>();
  private loop?: Loop;
  private cycles = 0;
  private lastCycle?: { startedMs: number; durationMs: number; workloads: number; errors: number };

  constructor(private readonly deps: AutoscalerDeps) {}

  /** Every Deployment of the configured namespaces, processed one after another. */
  async runOnce(): Promise<WorkloadResult[]> {
    const started = this.deps.clock.now();
    const results: WorkloadResult[] = [];
    for (const namespace of this.deps.settings().namespaces) {
      let snapshot: NamespaceSnapshot;
      try {
        snapshot = await this.snapshot(namespace);
      } catch (err) {
        results.push({
          namespace,
          name: '*',
          status: 'error',
          message: `observing namespace ${namespace} failed: ${errorText(err)}`,
        });
        continue;
      }
      for (const dep of snapshot.deployments)
        results.push(await this.processDeployment(dep, undefined, {}, snapshot));
    }
    this.cycles++;
    this.deps.observer?.cycle?.(this.deps.clock.now() - started, results);
    this.lastCycle = {
      startedMs: started,
      durationMs: this.deps.clock.now() - started,
      workloads: results.length,
      errors: results.filter((r) => r.status === 'error').length,
    };
    return results;
  }

  /**
   * A namespace in three listings (Deployments, pods, pod metrics) instead of three requests
   * per workload: a cycle over 1,000 workloads costs the API server a handful of calls.
   */
  private async snapshot(namespace: string): Promise<NamespaceSnapshot> {
    const { cluster } = this.deps;
    const [deployments, pods, metrics] = await Promise.all([
      listAll((o) => cluster.listWorkloads(o), { namespace, limit: 500 }),
      listAll((o) => cluster.listPods(o), { namespace, limit: 500 }),
      cluster.podMetrics({ namespace }),
    ]);
    const podsByDeployment = new Map<string, V1Pod[]>();
    for (const pod of pods) {
      const owner = deploymentNameOfPod(pod);
      if (owner === undefined) continue;
      const list = podsByDeployment.get(owner);
      if (list) list.push(pod);
      else podsByDeployment.set(owner, [pod]);
    }
    const metricsByPod = new Map(metrics.map((m) => [m.metadata.name, m]));
    return { deployments, podsByDeployment, metrics: metricsByPod, timeMs: this.deps.clock.now() };
  }

  /** One workload by name, now (seed 002's POST /scale/pod names a pod of it). */
  async processWorkload(
    namespace: string,
    name: string,
    pod?: string,
    /** `deployment`: the Deployment as the caller has just read it, so as not to read it again. */
    options: { ignoreBackoff?: boolean; deployment?: V1Deployment } = {},
  ): Promise<WorkloadResult> {
    const dep = options.deployment ?? (await this.deps.cluster.getWorkload(namespace, name));
    return this.processDeployment(dep, pod, options);
  }

  private async processDeployment(
    dep: V1Deployment,
    pod?: string,
    options: { ignoreBackoff?: boolean } = {},
    snapshot?: NamespaceSnapshot,
  ): Promise<WorkloadResult> {
    const plan = planWorkload(dep, this.deps.settings());
    const { namespace, name } = plan;
    const key = workloadKey(plan);
    if (plan.skip)
      return {
        namespace,
        name,
        status: 'skipped',
        reason: plan.skip.reason,
        message: plan.skip.message,
      };
    if (this.inFlight.has(key))
      return {
        namespace,
        name,
        status: 'skipped',
        reason: 'in_progress',
        message: `${name} is being processed already`,
      };
    const failure = this.failures.get(key);
    const now = this.deps.clock.now();
    if (failure && now < failure.retryAtMs && !options.ignoreBackoff)
      return {
        namespace,
        name,
        status: 'skipped',
        reason: 'backoff',
        message: `${name} failed ${failure.count} time(s); next attempt in ${Math.ceil((failure.retryAtMs - now) / 1000)} s`,
      };
    this.inFlight.add(key);
    try {
      const result = await this.decideAndAct(plan, dep, pod, snapshot);
      this.failures.delete(key);
      return result;
    } catch (err) {
      const count = (failure?.count ?? 0) + 1;
      const intervalMs = this.deps.settings().autoScaleIntervalSec * 1000;
      this.failures.set(key, {
        count,
        retryAtMs: now + Math.min(MAX_BACKOFF_MS, intervalMs * 2 ** (count - 1)),
      });
      this.deps.onError?.(namespace, name, err);
      return { namespace, name, status: 'error', message: errorText(err), error: err };
    } finally {
      this.inFlight.delete(key);
    }
  }

  private async decideAndAct(
    plan: WorkloadPlan,
    dep: V1Deployment,
    pod?: string,
    snapshot?: NamespaceSnapshot,
  ): Promise<WorkloadResult> {
    const { cluster, clock } = this.deps;
    const settings = this.deps.settings();
    const { namespace, name } = plan;
    const observation = snapshot
      ? workloadObservation(
          dep,
          (snapshot.podsByDeployment.get(name) ?? []).filter((p) => podMatchesDeployment(p, dep)),
          snapshot.metrics,
          snapshot.timeMs,
        )
      : await observeWorkload(cluster, clock, namespace, name);
    const policy = await this.deps.policy(plan.policy);
    const input = { observation, bounds: plan.bounds, scaleFactor: plan.scaleFactor };
    const decision = applyGuardrails(policy.decide(input), input);
    const key = workloadKey(plan);
    const record = async (outcome: DecisionOutcome, message: string) => {
      const stored = await this.deps.log.append({
        timeMs: clock.now(),
        namespace,
        workload: name,
        pod,
        decision,
        outcome,
        message,
        metrics: perPodMetrics(observation),
      });
      this.deps.observer?.decision?.(stored);
      return stored;
    };
    let outcome: DecisionOutcome;
    let message: string;
    const last = this.lastChangeMs.get(key);
    const inCooldown = last !== undefined && clock.now() - last < plan.cooldownMs;
    if (!decision.canScale) {
      outcome = 'no_change';
      message = 'nothing to change';
    } else if (inCooldown && !isScaleUp(decision)) {
      outcome = 'cooldown';
      message = `${name} is in cooldown period (${Math.round(plan.cooldownMs / 60_000)} min after its last change)`;
    } else if (settings.dryRun) {
      outcome = 'dry_run';
      message = `dry run: would ${describeChange(decision)}`;
    } else if (plan.mode === 'recommend') {
      outcome = 'recommend';
      message = `recommendation: ${describeChange(decision)}`;
    } else {
      let verified: { ok: boolean; message: string };
      try {
        verified = await this.act(
          decision,
          selectorFromMatchLabels(dep.spec?.selector?.matchLabels),
        );
      } catch (err) {
        // The failed attempt is a decision too: recorded, then handled as the workload's failure.
        await record('failed', `${describeChange(decision)} failed: ${errorText(err)}`);
        throw err;
      }
      this.lastChangeMs.set(key, clock.now());
      outcome = verified.ok ? 'applied' : 'unverified';
      message = verified.message;
      await this.announce(namespace, name, decision, verified);
    }
    const recorded = await record(outcome, message);
    const skipped = outcome === 'cooldown';
    return {
      namespace,
      name,
      status: skipped ? 'skipped' : 'success',
      ...(skipped ? { reason: 'cooldown_period' as const } : {}),
      message,
      record: recorded,
    };
  }

  /** A Kubernetes Event on the Deployment for every change made; its failure changes nothing else. */
  private async announce(
    namespace: string,
    name: string,
    d: Decision,
    verified: { ok: boolean; message: string },
  ): Promise<void> {
    try {
      await this.deps.cluster.recordEvent(
        { kind: 'Deployment', namespace, name },
        {
          type: verified.ok ? 'Normal' : 'Warning',
          reason: !verified.ok ? 'QpilotUnverified' : d.replicas ? 'QpilotScaled' : 'QpilotResized',
          message: `${d.policy}: ${verified.message}`.slice(0, 1024),
        },
      );
    } catch (err) {
      this.deps.onError?.(namespace, name, err);
    }
  }

  /** Applies a guarded decision and waits for the cluster to confirm it. */
  private async act(d: Decision, labelSelector: string): Promise<{ ok: boolean; message: string }> {
    if (d.replicas) return this.scale(d, d.replicas);
    return this.resize(d, labelSelector);
  }

  private async scale(
    d: Decision,
    replicas: { current: number; desired: number },
  ): Promise<{ ok: boolean; message: string }> {
    const { cluster } = this.deps;
    const timeoutMs = this.deps.verifyTimeoutMs ?? 120_000;
    await cluster.scaleWorkload(d.namespace, d.name, replicas.desired);
    try {
      // Stopping the loop (or the server) ends the wait: the change stands, unverified.
      const ready = await cluster.waitForWorkloadReady(d.namespace, d.name, replicas.desired, {
        timeoutMs,
        signal: this.loop?.signal,
      });
      this.deps.observer?.verification?.(ready.waitedMs, true);
      return {
        ok: true,
        message: `scaled ${d.name} from ${replicas.current} to ${replicas.desired} replicas; ready after ${Math.round(ready.waitedMs / 1000)} s`,
      };
    } catch (err) {
      this.deps.observer?.verification?.(timeoutMs, false);
      return {
        ok: false,
        message: `scaled ${d.name} to ${replicas.desired} replicas, not confirmed: ${errorText(err)}`,
      };
    }
  }

  private async resize(
    d: Decision,
    labelSelector: string,
  ): Promise<{ ok: boolean; message: string }> {
    const { cluster } = this.deps;
    if (!d.resources) return { ok: true, message: 'nothing to change' };
    const cpuFactor = ratio(d.resources.cpu.new, d.resources.cpu.current);
    const memoryFactor = ratio(d.resources.memory.new, d.resources.memory.current);
    const scale = (q: Record<string, string> | undefined) => {
      const out: { cpu?: string; memory?: string } = {};
      if (q?.cpu)
        out.cpu = formatCpu(millicores(Math.max(1, Math.round(parseCpu(q.cpu) * cpuFactor))));
      if (q?.memory)
        out.memory = formatMemory(bytes(Math.round(parseMemory(q.memory) * memoryFactor)));
      return out;
    };
    // One listing for the pods' container specs; each is resized from its own current size.
    const pods = await listAll((opts) => cluster.listPods(opts), {
      namespace: d.namespace,
      labelSelector,
      limit: 500,
    });
    const methods: string[] = [];
    for (const pod of pods.filter(
      (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
    )) {
      const change: ContainerResourcesMap = {};
      for (const c of pod.spec?.containers ?? [])
        change[c.name] = {
          requests: scale(c.resources?.requests),
          limits: scale(c.resources?.limits),
        };
      const result = await cluster.resizePod(d.namespace, pod.metadata!.name!, change, {
        fallbackToTemplate: true,
      });
      methods.push(result.method);
      if (result.method === 'template') this.deps.observer?.fallback?.('template');
      // The template fallback rolls every pod: one update is enough.
      if (result.method === 'template') break;
    }
    return {
      ok: true,
      message: `resized ${d.name}: ${describeChange(d)} (${[...new Set(methods)].join(', ') || 'no running pod'})`,
    };
  }

  start(): void {
    if (this.loop) return;
    this.loop = runLoop(this.deps.clock, async () => {
      // A standby looks again every second, so that it runs a cycle as soon as it leads.
      const leads = this.deps.shouldRun?.() ?? true;
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
  }

  status() {
    return {
      running: this.loop !== undefined,
      cycles: this.cycles,
      lastCycle: this.lastCycle,
      inFlight: [...this.inFlight],
      failing: [...this.failures.entries()].map(([workload, f]) => ({
        workload,
        failures: f.count,
        retryAtMs: f.retryAtMs,
      })),
    };
  }
}

const ratio = (next: number, current: number) => (current > 0 ? next / current : 1);

function isScaleUp(d: Decision): boolean {
  return d.replicas !== undefined && d.replicas.desired > d.replicas.current;
}

function describeChange(d: Decision): string {
  if (d.replicas)
    return `scale ${d.name} from ${d.replicas.current} to ${d.replicas.desired} replicas`;
  if (!d.resources) return 'change nothing';
  const { cpu, memory } = d.resources;
  return `set ${d.name}'s pods to ${cpu.new} cores (${cpu.action}) and ${memory.new} MiB (${memory.action})`;
}

export function perPodMetrics(o: WorkloadObservation): DecisionRecord['metrics'] {
  const u = summarizeUsage(o);
  const n = Math.max(1, u.measuredPods);
  const t = o.template;
  return {
    cpuUsageCores: u.cpuUsageMillicores / n / 1000,
    memoryUsageMb: u.memoryUsageBytes / n / 2 ** 20,
    cpuLimitCores: (t.cpuLimitMillicores || t.cpuRequestMillicores) / 1000,
    memoryLimitMb: (t.memoryLimitBytes || t.memoryRequestBytes) / 2 ** 20,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
