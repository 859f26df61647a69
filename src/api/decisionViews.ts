/**
 * Decisions in seed 002's shapes: the full decision object of `POST /scale/pod`, the summary
 * of `GET /decisions`, and `GET /statistics`. Seed 002's decisions are vertical (a CPU head and
 * a memory head); a horizontal decision shows its replica head beside them, with CPU and memory
 * MAINTAINed, so that every decision fits the seed's object.
 */
import { type Direction, direction, DIRECTIONS } from '../core/decision.js';
import type { ScalingSettings } from '../controller/settings.js';
import type { DecisionRecord } from '../store/decisionLog.js';
import type { DecisionStats } from '../store/decisionStats.js';

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const MIB = 2 ** 20;

/** Seed 002's resource change: CPU in cores, memory in MB (MiB), per pod. */
export interface ResourceChangeView {
  current: number;
  new: number;
  change_percent: number;
  action: Direction;
}

function change(current: number, next: number, unit: number): ResourceChangeView {
  return {
    current: round(current / unit),
    new: round(next / unit),
    change_percent: current > 0 ? round(((next - current) / current) * 100, 3) : 0,
    action: direction({ current, desired: next }),
  };
}

function replicaAction(r: DecisionRecord): Direction | null {
  const d = r.decision;
  return d.kind === 'horizontal' ? direction(d.replicas) : null;
}

function currentMetrics(r: DecisionRecord) {
  const m = r.metrics;
  return {
    cpu_usage: round(m.cpuUsageMillicores / 1000),
    memory_usage_mb: round(m.memoryUsageBytes / MIB, 2),
    cpu_limit: round(m.cpuLimitMillicores / 1000),
    memory_limit_mb: round(m.memoryLimitBytes / MIB, 2),
  };
}

/** Seed 002's resource_changes; a decision that does not resize MAINTAINs the pod's limits. */
function resourceChanges(r: DecisionRecord): {
  cpu: ResourceChangeView;
  memory: ResourceChangeView;
} {
  const d = r.decision;
  if (d.kind === 'vertical')
    return {
      cpu: change(d.cpuMillicores.current, d.cpuMillicores.desired, 1000),
      memory: change(d.memoryBytes.current, d.memoryBytes.desired, MIB),
    };
  const m = r.metrics;
  return {
    cpu: change(m.cpuLimitMillicores, m.cpuLimitMillicores, 1000),
    memory: change(m.memoryLimitBytes, m.memoryLimitBytes, MIB),
  };
}

function confidence(r: DecisionRecord) {
  const c = r.decision.confidence ?? {};
  return {
    cpu: c.cpu ?? null,
    memory: c.memory ?? null,
    ...(c.replicas !== undefined ? { replicas: c.replicas } : {}),
  };
}

function futurePredictions(r: DecisionRecord) {
  const p = r.decision.predictions;
  return {
    next_step_cpu: p ? round(p.nextStepCpuMillicores / 1000) : null,
    next_step_memory: p ? round(p.nextStepMemoryBytes / MIB, 2) : null,
  };
}

const utilisation = (usage: number, limit: number) =>
  limit > 0 ? round((usage / limit) * 100, 1) : null;

/** What a decision changes, in domain units (millicores, bytes per container), for clients that want them. */
function target(r: DecisionRecord) {
  const d = r.decision;
  switch (d.kind) {
    case 'horizontal':
      return { replicas: d.replicas };
    case 'vertical':
      return {
        cpu_millicores: d.cpuMillicores,
        memory_bytes: d.memoryBytes,
        containers: d.containers,
        ...(d.pod ? { pod: d.pod } : {}),
      };
    case 'pod_deletion':
      return { pod: d.pod, pod_status: d.podStatus };
  }
}

/** What qpilot adds to every decision: who decided, what became of it, guardrails, fallback. */
function provenance(r: DecisionRecord) {
  const d = r.decision;
  return {
    id: r.id,
    workload: r.workload,
    policy: d.policy,
    kind: d.kind,
    outcome: r.outcome,
    message: r.message,
    settled_at: r.settledMs === undefined ? null : new Date(r.settledMs).toISOString(),
    replicas: d.kind === 'horizontal' ? d.replicas : null,
    replica_action: replicaAction(r),
    target: target(r),
    guardrails: d.guardrails ?? [],
    fallback: d.fallback ?? null,
  };
}

/** Seed 002's ScalingDecision (`POST /scale/pod`'s result). */
export function decisionObjectView(r: DecisionRecord) {
  const d = r.decision;
  const changes = resourceChanges(r);
  const q = d.qValues ?? {};
  return {
    pod_name: r.pod ?? r.workload,
    namespace: r.namespace,
    timestamp: new Date(r.timeMs).toISOString(),
    current_metrics: currentMetrics(r),
    predictions: {
      cpu_action: changes.cpu.action,
      memory_action: changes.memory.action,
      cpu_action_index: DIRECTIONS.indexOf(changes.cpu.action),
      memory_action_index: DIRECTIONS.indexOf(changes.memory.action),
      ...(d.kind === 'horizontal' ? { replica_action: replicaAction(r) } : {}),
    },
    confidence: confidence(r),
    future_predictions: futurePredictions(r),
    q_values: {
      cpu_q_values: q.cpu ?? [],
      memory_q_values: q.memory ?? [],
      ...(q.replicas ? { replica_q_values: q.replicas } : {}),
    },
    resource_changes: changes,
    can_scale: d.canScale,
    explanation: d.explanation,
    ...provenance(r),
  };
}

/** One entry of seed 002's `GET /decisions`. */
export function decisionSummaryView(r: DecisionRecord) {
  const changes = resourceChanges(r);
  const m = currentMetrics(r);
  return {
    pod_name: r.pod ?? r.workload,
    namespace: r.namespace,
    timestamp: new Date(r.timeMs).toISOString(),
    cpu_action: changes.cpu.action,
    memory_action: changes.memory.action,
    confidence: confidence(r),
    can_scale: r.decision.canScale,
    current_metrics: m,
    utilization: {
      cpu_percentage: utilisation(m.cpu_usage, m.cpu_limit),
      memory_percentage: utilisation(m.memory_usage_mb, m.memory_limit_mb),
    },
    future_predictions: futurePredictions(r),
    explanation: r.decision.explanation,
    ...provenance(r),
  };
}

/** Seed 002's overview and action distribution (`POST /scale/all` carries these two). */
export function statisticsSummaryView(s: DecisionStats) {
  return {
    overview: {
      total_decisions: s.totalDecisions,
      total_pods_monitored: s.workloadsMonitored,
      applied_scalings: s.appliedScalings,
      scaling_rate:
        s.totalDecisions > 0 ? round((s.appliedScalings / s.totalDecisions) * 100, 1) : 0,
    },
    action_distribution: {
      cpu_actions: s.cpuActions,
      memory_actions: s.memoryActions,
      replica_actions: s.replicaActions,
    },
  };
}

/** Seed 002's `GET /statistics`. */
export function statisticsView(
  s: DecisionStats,
  settings: ScalingSettings,
  extra: { kubernetesAvailable: boolean; modelType: string; timestamp: string },
) {
  return {
    ...statisticsSummaryView(s),
    resource_utilization: {
      average_cpu_usage:
        s.averageCpuUsageMillicores === null ? null : round(s.averageCpuUsageMillicores / 1000),
      average_memory_usage_mb:
        s.averageMemoryUsageBytes === null ? null : round(s.averageMemoryUsageBytes / MIB, 2),
    },
    model_performance: {
      average_cpu_confidence:
        s.averageCpuConfidence === null ? null : round(s.averageCpuConfidence),
      average_memory_confidence:
        s.averageMemoryConfidence === null ? null : round(s.averageMemoryConfidence),
      model_type: extra.modelType,
      decisions_by_policy: s.byPolicy,
    },
    system_status: {
      dry_run_mode: settings.dryRun,
      cooldown_period_minutes: settings.scalingCooldownMin,
      scale_factor: settings.scaleFactor,
      kubernetes_available: extra.kubernetesAvailable,
    },
    outcomes: s.byOutcome,
    timestamp: extra.timestamp,
  };
}
