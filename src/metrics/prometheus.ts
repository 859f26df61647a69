/**
 * An optional metric source over Prometheus' HTTP API (PromQL), as seed 000 uses it: CPU and
 * memory of a Deployment's pods from cAdvisor's series, and its request latency from a
 * histogram. Queries are templates, so that they can follow whatever the cluster exports.
 */
import type { Clock } from '../core/clock.js';
import { QpError } from '../core/errors.js';
import type { ServiceSignalSource } from '../core/workload.js';

export interface PromQueries {
  cpuCores: string;
  memoryBytes: string;
  latencyP95Seconds: string;
}

/** `$namespace` and `$pods` (a regular expression of the Deployment's pod names) are filled in. */
export const DEFAULT_QUERIES: PromQueries = {
  cpuCores:
    'sum(rate(container_cpu_usage_seconds_total{namespace="$namespace",pod=~"$pods",container!=""}[1m]))',
  memoryBytes:
    'sum(container_memory_working_set_bytes{namespace="$namespace",pod=~"$pods",container!=""})',
  latencyP95Seconds:
    'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="$namespace",pod=~"$pods"}[1m])))',
};

export interface WorkloadSignals {
  cpuCores: number | null;
  memoryBytes: number | null;
  latencyP95Ms: number | null;
}

interface PromResponse {
  status?: string;
  error?: string;
  errorType?: string;
  data?: {
    resultType?: string;
    result?: { metric?: Record<string, string>; value?: [number, string] }[] | [number, string];
  };
}

/** The regular expression that matches a Deployment's pods: NAME-<template hash>-<suffix>. */
export function podRegex(deployment: string): string {
  return `${deployment.replace(/[.]/g, '\\\\.')}-[a-z0-9]+-[a-z0-9]+`;
}

export class PrometheusSource {
  constructor(
    private readonly baseUrl: string,
    private readonly clock: Clock,
    private readonly options: { timeoutMs?: number; queries?: Partial<PromQueries> } = {},
  ) {}

  /** The value of an instant query: the sum of a vector's samples, a scalar, or null when empty. */
  async query(promql: string): Promise<number | null> {
    const url = `${this.baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}&time=${this.clock.now() / 1000}`;
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000) });
    } catch (err) {
      throw new QpError(
        'QP_ERR_UNAVAILABLE',
        `Prometheus at ${this.baseUrl} is unreachable: ${(err as Error).message}`,
        undefined,
        { cause: err },
      );
    }
    let body: PromResponse;
    try {
      body = (await res.json()) as PromResponse;
    } catch {
      throw new QpError(
        'QP_ERR_UNAVAILABLE',
        `Prometheus at ${this.baseUrl} answered HTTP ${res.status} without JSON`,
      );
    }
    if (body.status !== 'success') {
      const code =
        res.status === 400 || res.status === 422 ? 'QP_ERR_INVALID_ARGUMENT' : 'QP_ERR_UNAVAILABLE';
      throw new QpError(
        code,
        `Prometheus refused the query ${promql}: ${body.errorType ?? ''} ${body.error ?? `HTTP ${res.status}`}`.trim(),
      );
    }
    const result = body.data?.result;
    if (
      body.data?.resultType === 'scalar' &&
      Array.isArray(result) &&
      typeof result[1] === 'string'
    )
      return finite(Number(result[1]));
    if (!Array.isArray(result) || result.length === 0) return null;
    let sum = 0;
    let any = false;
    for (const sample of result as { value?: [number, string] }[]) {
      const v = Number(sample.value?.[1]);
      if (Number.isFinite(v)) {
        sum += v;
        any = true;
      }
    }
    return any ? sum : null;
  }

  /** p95 latency (ms) of a Deployment's requests, or null when its histogram has no samples. */
  async latencyP95Ms(
    namespace: string,
    deployment: string,
    histogram?: { histogram: string; selector?: string },
  ): Promise<number | null> {
    const q = { ...DEFAULT_QUERIES, ...this.options.queries };
    // A workload's own histogram (an Autopilot's latencySource), its name and matchers checked by the CRD and the plan.
    const template = histogram
      ? `histogram_quantile(0.95, sum by (le) (rate(${histogram.histogram}_bucket{namespace="$namespace",pod=~"$pods"${histogram.selector ? `,${histogram.selector.trim().replace(/,$/, '')}` : ''}}[1m])))`
      : q.latencyP95Seconds;
    const seconds = await this.query(
      template.replaceAll('$namespace', namespace).replaceAll('$pods', podRegex(deployment)),
    );
    return seconds === null ? null : seconds * 1000;
  }

  /** CPU cores, working-set bytes and p95 latency (ms) of a Deployment's pods. */
  async workloadSignals(namespace: string, deployment: string): Promise<WorkloadSignals> {
    const q = { ...DEFAULT_QUERIES, ...this.options.queries };
    const fill = (t: string) =>
      t.replaceAll('$namespace', namespace).replaceAll('$pods', podRegex(deployment));
    const [cpuCores, memoryBytes, latency] = await Promise.all([
      this.query(fill(q.cpuCores)),
      this.query(fill(q.memoryBytes)),
      this.query(fill(q.latencyP95Seconds)),
    ]);
    return { cpuCores, memoryBytes, latencyP95Ms: latency === null ? null : latency * 1000 };
  }
}

/**
 * Prometheus as the loop's latency source: the p95 of a Deployment's request histogram
 * (`latencyP95Seconds`, over its 1-minute rate). Drops are not measured: the query set has
 * none that every service exports.
 */
export function prometheusServiceSignals(
  source: PrometheusSource,
  clock: Clock,
): ServiceSignalSource {
  return {
    serviceSignals: async (namespace, name, histogram) => {
      const latency = await source.latencyP95Ms(namespace, name, histogram);
      return latency === null
        ? undefined
        : { latencyP95Ms: latency, windowMs: 60_000, timestampMs: clock.now() };
    },
  };
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
