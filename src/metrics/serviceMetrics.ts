/**
 * qpilot's own Prometheus metrics (prom-client), on `GET /metrics`: decisions by policy and
 * action, applied scalings, fallbacks, the loop's duration, verification time, errors and the
 * HTTP API. Names carry their units; labels are few and bounded (policy names, head names,
 * outcomes, route templates — never a workload or pod name).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ActuatorObserver } from '../cluster/actuator.js';
import type { AutoscalerObserver } from '../controller/autoscaler.js';
import type { FallbackEvent } from '../policies/guardrails.js';
import type { DecisionRecord } from '../store/decisionLog.js';
import { decisionColumns } from '../store/decisionStats.js';

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly decisions = new Counter({
    name: 'qpilot_decisions_total',
    help: 'Decisions, by policy and what became of them (a change counts once its outcome is final)',
    labelNames: ['policy', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly actions = new Counter({
    name: 'qpilot_decision_actions_total',
    help: 'Actions chosen, by policy and head (replicas, cpu, memory)',
    labelNames: ['policy', 'head', 'action'] as const,
    registers: [this.registry],
  });
  private readonly applied = new Counter({
    name: 'qpilot_scalings_applied_total',
    help: 'Changes made to the cluster, by kind (horizontal, vertical) and whether they were verified',
    labelNames: ['kind', 'verified'] as const,
    registers: [this.registry],
  });
  private readonly fallbacks = new Counter({
    name: 'qpilot_fallbacks_total',
    help: 'Times a baseline decided because a learned policy failed (from, to), or a resize went through the Deployment template (from=in_place, to=template)',
    labelNames: ['from', 'to'] as const,
    registers: [this.registry],
  });
  private readonly loopDuration = new Histogram({
    name: 'qpilot_loop_duration_seconds',
    help: 'Duration of one control-loop cycle over every workload',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  private readonly loopWorkloads = new Gauge({
    name: 'qpilot_loop_workloads',
    help: 'Workloads seen by the last control-loop cycle, by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly verification = new Histogram({
    name: 'qpilot_verification_duration_seconds',
    help: 'Time from a change to its final outcome, by result (ready, timeout, superseded, failed)',
    labelNames: ['result'] as const,
    buckets: [1, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'qpilot_errors_total',
    help: 'Failures, by where they happened (workload, loop)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'qpilot_leader',
    help: '1 while this instance holds the leader Lease (or runs alone), else 0',
    registers: [this.registry],
  });
  private readonly http = new Histogram({
    name: 'qpilot_http_request_duration_seconds',
    help: 'HTTP API requests, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
    registers: [this.registry],
  });

  /** The hub's agents (issue 13): sockets open, batches ingested (and sent again). */
  readonly hubSockets = new Gauge({
    name: 'qpilot_hub_agent_sockets',
    help: "Agents' WebSockets open to this hub",
    registers: [this.registry],
  });
  readonly hubBatches = new Counter({
    name: 'qpilot_hub_batches_total',
    help: 'Batches agents sent, by kind; duplicate="true" for one stored already (counted once)',
    labelNames: ['kind', 'duplicate'] as const,
    registers: [this.registry],
  });
  readonly hubItems = new Counter({
    name: 'qpilot_hub_items_total',
    help: 'Items in the batches stored, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: 'qpilot_' });
    this.leader.set(1);
  }

  readonly observer: AutoscalerObserver & ActuatorObserver = {
    decision: (r) => this.recordDecision(r),
    settled: (r, waitedMs) => this.recordSettled(r, waitedMs),
    cycle: (durationMs, results) => {
      this.loopDuration.observe(durationMs / 1000);
      this.loopWorkloads.reset();
      for (const r of results) this.loopWorkloads.inc({ status: r.status });
    },
    fallback: () => this.fallbacks.inc({ from: 'in_place', to: 'template' }),
  };

  /** A record as it is made: its actions, and its outcome unless that is still to come. */
  recordDecision(r: DecisionRecord): void {
    const c = decisionColumns(r);
    if (c.outcome !== 'pending') this.decisions.inc({ policy: c.policy, outcome: c.outcome });
    if (c.replicaAction)
      this.actions.inc({ policy: c.policy, head: 'replicas', action: c.replicaAction });
    if (c.cpuAction) this.actions.inc({ policy: c.policy, head: 'cpu', action: c.cpuAction });
    if (c.memoryAction)
      this.actions.inc({ policy: c.policy, head: 'memory', action: c.memoryAction });
  }

  /** A change's final outcome, and how long its rollout took. */
  recordSettled(r: DecisionRecord, waitedMs: number): void {
    const c = decisionColumns(r);
    this.decisions.inc({ policy: c.policy, outcome: c.outcome });
    if (c.outcome === 'applied' || c.outcome === 'unverified')
      this.applied.inc({ kind: c.kind, verified: String(c.outcome === 'applied') });
    const result = { applied: 'ready', unverified: 'timeout' }[c.outcome as string] ?? c.outcome;
    this.verification.observe({ result }, waitedMs / 1000);
  }

  policyFallback(e: FallbackEvent): void {
    this.fallbacks.inc({ from: e.from, to: e.to });
  }

  error(source: 'workload' | 'loop'): void {
    this.errors.inc({ source });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.http.observe({ method, route, status: String(status) }, seconds);
  }
}
