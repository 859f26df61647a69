/** Shared readings of an observation: utilisation as the HPA computes it, demand, trends. */
import type { PodObservation, WorkloadObservation } from './types.js';

/** Pods that count: not being deleted, not Failed (the HPA's "ignored" pods are out). */
export function activePods(o: WorkloadObservation): PodObservation[] {
  return o.pods.filter((p) => !p.deleting && p.phase !== 'Failed' && p.phase !== 'Succeeded');
}

export interface UsageSummary {
  /** Ready pods with metrics. */
  measuredPods: number;
  cpuUsageMillicores: number;
  cpuRequestMillicores: number;
  memoryUsageBytes: number;
  memoryRequestBytes: number;
  /** cpuUsage / cpuRequest over measured pods; undefined without metrics. */
  cpuUtilization?: number;
  memoryUtilization?: number;
  /** cpuUsage / cpuLimit over measured pods (how close pods are to their ceiling). */
  cpuOfLimit?: number;
}

export function summarizeUsage(o: WorkloadObservation): UsageSummary {
  const s: UsageSummary = {
    measuredPods: 0,
    cpuUsageMillicores: 0,
    cpuRequestMillicores: 0,
    memoryUsageBytes: 0,
    memoryRequestBytes: 0,
  };
  let cpuLimit = 0;
  for (const p of activePods(o)) {
    if (!p.ready || !p.usage) continue;
    s.measuredPods++;
    s.cpuUsageMillicores += p.usage.cpuMillicores;
    s.cpuRequestMillicores += p.cpuRequestMillicores;
    s.memoryUsageBytes += p.usage.memoryBytes;
    s.memoryRequestBytes += p.memoryRequestBytes;
    cpuLimit += p.cpuLimitMillicores || p.cpuRequestMillicores;
  }
  if (s.measuredPods > 0 && s.cpuRequestMillicores > 0)
    s.cpuUtilization = s.cpuUsageMillicores / s.cpuRequestMillicores;
  if (s.measuredPods > 0 && s.memoryRequestBytes > 0)
    s.memoryUtilization = s.memoryUsageBytes / s.memoryRequestBytes;
  if (s.measuredPods > 0 && cpuLimit > 0) s.cpuOfLimit = s.cpuUsageMillicores / cpuLimit;
  return s;
}

/**
 * The resources a pod of the workload has now: those of its running pods, which an in-place
 * resize changes without touching the Deployment's template; the template's when none runs.
 */
export function podSize(o: WorkloadObservation): WorkloadObservation['template'] {
  const running = o.pods.find((p) => p.phase === 'Running' && !p.deleting);
  if (!running) return o.template;
  return {
    cpuRequestMillicores: running.cpuRequestMillicores,
    memoryRequestBytes: running.memoryRequestBytes,
    cpuLimitMillicores: running.cpuLimitMillicores,
    memoryLimitBytes: running.memoryLimitBytes,
  };
}

/** The least-squares slope of equally spaced samples, per step. */
export function slope(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mx = (n - 1) / 2;
  const my = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - mx) * (values[i]! - my);
    den += (i - mx) ** 2;
  }
  return num / den;
}

/** Next-step usage by linear extrapolation of the recent window, never below zero. */
export function extrapolate(values: readonly number[]): number {
  if (values.length === 0) return 0;
  return Math.max(0, values[values.length - 1]! + slope(values));
}
