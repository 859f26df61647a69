/**
 * Records written before decisions moved to core/ in domain units (the bodies of migration
 * 1): seed 002's resource changes in cores and MiB, predictions and metrics in cores and MB.
 * They are read as today's records, so that nothing acknowledged is lost.
 */
import type { Decision, DecisionMetrics } from '../core/decision.js';

const MIB = 2 ** 20;

interface LegacyChange {
  current: number;
  new: number;
}

interface LegacyDecision {
  kind: 'horizontal' | 'vertical';
  replicas?: { current: number; desired: number };
  resources?: { cpu: LegacyChange; memory: LegacyChange };
  predictions?: { nextStepCpuCores?: number; nextStepMemoryMb?: number };
}

interface LegacyMetrics {
  cpuUsageCores: number;
  memoryUsageMb: number;
  cpuLimitCores: number;
  memoryLimitMb: number;
}

export function isLegacyMetrics(m: unknown): m is LegacyMetrics {
  return typeof (m as Partial<LegacyMetrics>)?.cpuUsageCores === 'number';
}

export function upgradeMetrics(m: DecisionMetrics | LegacyMetrics): DecisionMetrics {
  if (!isLegacyMetrics(m)) return m;
  return {
    cpuUsageMillicores: m.cpuUsageCores * 1000,
    memoryUsageBytes: m.memoryUsageMb * MIB,
    cpuLimitMillicores: m.cpuLimitCores * 1000,
    memoryLimitBytes: m.memoryLimitMb * MIB,
  };
}

/** A stored decision in today's shape, whichever shape it was written in. */
export function upgradeDecision(stored: unknown): Decision {
  const d = stored as Record<string, unknown> & LegacyDecision;
  const legacyPredictions =
    d.predictions && typeof d.predictions.nextStepCpuCores === 'number'
      ? {
          predictions: {
            nextStepCpuMillicores: d.predictions.nextStepCpuCores * 1000,
            nextStepMemoryBytes: (d.predictions.nextStepMemoryMb ?? 0) * MIB,
          },
        }
      : {};
  if (d.kind === 'horizontal' && !d.replicas)
    return {
      ...(stored as Decision),
      replicas: { current: 0, desired: 0 },
      ...legacyPredictions,
    } as Decision;
  if (d.kind === 'vertical' && !('cpuMillicores' in d)) {
    const { resources, ...rest } = d;
    const cpu = resources?.cpu ?? { current: 0, new: 0 };
    const memory = resources?.memory ?? { current: 0, new: 0 };
    return {
      ...(rest as object),
      kind: 'vertical',
      cpuMillicores: { current: cpu.current * 1000, desired: cpu.new * 1000 },
      memoryBytes: { current: memory.current * MIB, desired: memory.new * MIB },
      containers: [],
      templateFallback: true,
      ...legacyPredictions,
    } as unknown as Decision;
  }
  return { ...(stored as Decision), ...legacyPredictions };
}
