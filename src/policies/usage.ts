/** Shared readings of an observation: usage against the HPA's requests, pod sizes, trends. */
import type { PodObservation, WorkloadObservation } from '../core/workload.js';

/** Pods that count: not being deleted, not Failed (the HPA's "ignored" pods are out). */
export function activePods(o: WorkloadObservation): PodObservation[] {
  return o.pods.filter((p) => !p.deleting && p.phase !== 'Failed' && p.phase !== 'Succeeded');
}

export interface UsageSummary {
  /** Ready pods with metrics. */
  measuredPods: number;
  cpuUsageMillicores: number;
  /** What the HPA divides usage by, summed over the measured pods (0 when a request is missing). */
  cpuRequestMillicores: number;
  memoryUsageBytes: number;
  /** The most memory any measured pod uses. */
  busiestMemoryBytes: number;
  memoryRequestBytes: number;
  /** cpuUsage / cpuRequest over measured pods; undefined without metrics. */
  cpuUtilization?: number;
  memoryUtilization?: number;
  /** cpuUsage / cpuLimit over measured pods (how close pods are to their ceiling). */
  cpuOfLimit?: number;
  /** Why CPU utilisation cannot be computed although pods have metrics: a container without a request. */
  cpuRequestMissing?: string;
}

export function summarizeUsage(o: WorkloadObservation): UsageSummary {
  const s: UsageSummary = {
    measuredPods: 0,
    cpuUsageMillicores: 0,
    cpuRequestMillicores: 0,
    memoryUsageBytes: 0,
    busiestMemoryBytes: 0,
    memoryRequestBytes: 0,
  };
  let cpuLimit = 0;
  for (const p of o.pods) {
    // Ready pods with metrics that count: not being deleted, not Failed or Succeeded.
    if (!p.ready || !p.usage || p.deleting || p.phase === 'Failed' || p.phase === 'Succeeded')
      continue;
    s.measuredPods++;
    s.cpuUsageMillicores += p.usage.cpuMillicores;
    const request = p.utilizationRequest;
    if (request.cpuMillicores === undefined) s.cpuRequestMissing ??= request.cpuMissing;
    s.cpuRequestMillicores += request.cpuMillicores ?? 0;
    s.memoryUsageBytes += p.usage.memoryBytes;
    s.busiestMemoryBytes = Math.max(s.busiestMemoryBytes, p.usage.memoryBytes);
    s.memoryRequestBytes += request.memoryBytes ?? 0;
    cpuLimit += p.cpuLimitMillicores || (request.cpuMillicores ?? 0);
  }
  if (s.cpuRequestMissing) s.cpuRequestMillicores = 0;
  if (s.measuredPods > 0 && s.cpuRequestMillicores > 0)
    s.cpuUtilization = s.cpuUsageMillicores / s.cpuRequestMillicores;
  if (s.measuredPods > 0 && s.memoryRequestBytes > 0)
    s.memoryUtilization = s.memoryUsageBytes / s.memoryRequestBytes;
  if (s.measuredPods > 0 && cpuLimit > 0) s.cpuOfLimit = s.cpuUsageMillicores / cpuLimit;
  return s;
}

/**
 * A pod's size as a vertical decision counts it: its app containers' requests and limits
 * summed, as a running pod has them now (an in-place resize changes them without touching the
 * template), else as a new pod would get them.
 */
export function podSize(o: WorkloadObservation): {
  cpuRequestMillicores: number;
  memoryRequestBytes: number;
  cpuLimitMillicores: number;
  memoryLimitBytes: number;
} {
  const size = {
    cpuRequestMillicores: 0,
    memoryRequestBytes: 0,
    cpuLimitMillicores: 0,
    memoryLimitBytes: 0,
  };
  for (const c of o.containers) {
    size.cpuRequestMillicores += c.requests.cpuMillicores ?? 0;
    size.memoryRequestBytes += c.requests.memoryBytes ?? 0;
    size.cpuLimitMillicores += c.limits.cpuMillicores ?? 0;
    size.memoryLimitBytes += c.limits.memoryBytes ?? 0;
  }
  return size;
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
