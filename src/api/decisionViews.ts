/**
 * Decisions in seed 002's shapes: the full decision object of `POST /scale/pod`, the summary
 * of `GET /decisions`, and `GET /statistics`. Seed 002's decisions are vertical (a CPU head and
 * a memory head); a horizontal decision shows its replica head beside them, with CPU and memory
 * MAINTAINed, so that every decision fits the seed's object.
 */
import type { ScalingSettings } from '../controller/settings.js';
import { HEAD_ACTIONS, type HeadAction, type ResourceChange } from '../policies/types.js';
import type { DecisionRecord } from '../store/decisionLog.js';
import type { DecisionStats } from '../store/decisionStats.js';

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

function maintain(current: number): ResourceChange {
  return { current: round(current), new: round(current), change_percent: 0, action: 'MAINTAIN' };
}

function replicaAction(r: DecisionRecord): HeadAction | null {
  const rep = r.decision.replicas;
  if (!rep) return r.decision.kind === 'horizontal' ? 'MAINTAIN' : null;
  return rep.desired > rep.current
    ? 'INCREASE'
    : rep.desired < rep.current
      ? 'DECREASE'
      : 'MAINTAIN';
}

function currentMetrics(r: DecisionRecord) {
  return {
    cpu_usage: round(r.metrics.cpuUsageCores),
    memory_usage_mb: round(r.metrics.memoryUsageMb, 2),
    cpu_limit: round(r.metrics.cpuLimitCores),
    memory_limit_mb: round(r.metrics.memoryLimitMb, 2),
  };
}

function resourceChanges(r: DecisionRecord) {
  return (
    r.decision.resources ?? {
      cpu: maintain(r.metrics.cpuLimitCores),
      memory: maintain(r.metrics.memoryLimitMb),
    }
  );
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
    next_step_cpu: p ? round(p.nextStepCpuCores) : null,
    next_step_memory: p ? round(p.nextStepMemoryMb, 2) : null,
  };
}

const utilisation = (usage: number, limit: number) =>
  limit > 0 ? round((usage / limit) * 100, 1) : null;

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
    replicas: d.replicas ?? null,
    replica_action: replicaAction(r),
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
      cpu_action_index: HEAD_ACTIONS.indexOf(changes.cpu.action),
      memory_action_index: HEAD_ACTIONS.indexOf(changes.memory.action),
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
  const m = r.metrics;
  return {
    pod_name: r.pod ?? r.workload,
    namespace: r.namespace,
    timestamp: new Date(r.timeMs).toISOString(),
    cpu_action: changes.cpu.action,
    memory_action: changes.memory.action,
    confidence: confidence(r),
    can_scale: r.decision.canScale,
    current_metrics: currentMetrics(r),
    utilization: {
      cpu_percentage: utilisation(m.cpuUsageCores, m.cpuLimitCores),
      memory_percentage: utilisation(m.memoryUsageMb, m.memoryLimitMb),
    },
    future_predictions: futurePredictions(r),
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
      average_cpu_usage: s.averageCpuUsageCores === null ? null : round(s.averageCpuUsageCores),
      average_memory_usage_mb:
        s.averageMemoryUsageMb === null ? null : round(s.averageMemoryUsageMb, 2),
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
