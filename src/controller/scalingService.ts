/**
 * What the API steers: the live settings, the Autoscaler and its loop, and the decision log.
 * `POST /config` and `/autoscale/start|stop` change the settings here, and the loop reads them
 * at every cycle, so a change applies from the next cycle without a restart.
 */
import { QpError } from '../core/errors.js';
import type { Decision, WorkloadObservation } from '../policies/types.js';
import type { DecisionLog, DecisionRecord } from '../store/decisionLog.js';
import { Autoscaler, type AutoscalerDeps, perPodMetrics } from './autoscaler.js';
import { observeWorkload } from './observe.js';
import { type ScalingSettings, updateSettings } from './settings.js';

export interface Leadership {
  /** Whether this instance may act now; a standby decides nothing and changes nothing. */
  isLeader(): boolean;
  /** Who holds the lease, for status. */
  holder(): string | undefined;
}

export interface ScalingServiceDeps extends Omit<AutoscalerDeps, 'settings'> {
  settings: ScalingSettings;
  log: DecisionLog;
  leadership?: Leadership;
}

export class ScalingService {
  private current: ScalingSettings;
  readonly autoscaler: Autoscaler;
  readonly log: DecisionLog;

  constructor(private readonly deps: ScalingServiceDeps) {
    this.current = { ...deps.settings };
    this.log = deps.log;
    this.autoscaler = new Autoscaler({
      ...deps,
      settings: () => this.current,
      shouldRun: () => deps.leadership?.isLeader() ?? true,
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

  /** Starts the loop if auto-scaling is enabled (at start-up). */
  begin(): void {
    if (this.current.autoScaleEnabled) this.autoscaler.start();
  }

  startLoop(): void {
    this.current = { ...this.current, autoScaleEnabled: true };
    this.autoscaler.start();
  }

  /** Stops the loop; a cycle under way finishes its current workload in the background. */
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

  /** Records a change an operator asked for (seed 004's scale routes, seed 002's resize). */
  async recordManual(change: {
    namespace: string;
    workload: string;
    pod?: string;
    kind: Decision['kind'];
    replicas?: { current: number; desired: number };
    route: string;
    message: string;
    /** The workload as the caller read it; read here when absent. */
    observation?: WorkloadObservation;
  }): Promise<DecisionRecord> {
    const { clock, cluster } = this.deps;
    let metrics: DecisionRecord['metrics'] = {
      cpuUsageCores: 0,
      memoryUsageMb: 0,
      cpuLimitCores: 0,
      memoryLimitMb: 0,
    };
    try {
      metrics = perPodMetrics(
        change.observation ??
          (await observeWorkload(cluster, clock, change.namespace, change.workload)),
      );
    } catch {
      // The change is made; its record stands without usage figures.
    }
    const record = await this.log.append({
      timeMs: clock.now(),
      namespace: change.namespace,
      workload: change.workload,
      pod: change.pod,
      outcome: 'applied',
      message: change.message,
      metrics,
      decision: {
        policy: 'manual',
        kind: change.kind,
        namespace: change.namespace,
        name: change.workload,
        timeMs: clock.now(),
        ...(change.replicas ? { replicas: change.replicas } : {}),
        canScale: true,
        explanation: { reasoning: `requested through ${change.route}`, factors: ['manual'] },
      },
    });
    this.deps.observer?.decision?.(record);
    await cluster
      .recordEvent(
        { kind: 'Deployment', namespace: change.namespace, name: change.workload },
        { type: 'Normal', reason: 'QpilotManualChange', message: change.message.slice(0, 1024) },
      )
      .catch((err: unknown) => this.deps.onError?.(change.namespace, change.workload, err));
    return record;
  }

  async close(): Promise<void> {
    await this.autoscaler.stop();
    await this.log.close();
  }
}
