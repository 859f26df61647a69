/**
 * Seed 004's routes for RL experiments on one target Deployment (from the query, else the
 * configuration): `POST /pod/confirm`, `POST /pod/scale/in|out`, `POST /pod/set-pod-count/:count`,
 * `GET /app/stat`, and the `POST /metrics` sampler with its series read back as JSON or CSV.
 * They act whatever dry_run says: they are an operator's explicit commands. Each change goes
 * through the actuator (ScalingService): only in the namespaces qpilot manages, never on an
 * excluded workload, within the pod bounds, recorded before it is made, with an Event, and it
 * starts the workload's cooldown.
 */
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { invalidArgument, QpError } from '../../core/errors.js';
import type { SeriesStatus } from '../../controller/sampler.js';
import { requireNamespace } from './common.js';
import type { AppDeps } from '../deps.js';
import { appStatReward, runLoadTest } from '../loadTest.js';
import { errorResponses } from '../schemas.js';
import { resolveTarget, TargetQuery, type TargetQueryType, targetSnapshot } from './pod.js';
import { Wait } from './scaling.js';

const Open = Type.Object({}, { additionalProperties: true });

const ChangeQuery = Type.Object(
  { ...TargetQuery.properties, wait: Wait },
  { additionalProperties: false },
);
type ChangeQueryType = Static<typeof ChangeQuery>;

const CountParams = Type.Object({
  count: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    description: 'The number of pods wanted (scaling to zero is not an experiment)',
  }),
});

const AppStatQuery = Type.Object(
  {
    ...TargetQuery.properties,
    slo_ms: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 60_000,
        default: 200,
        description: 'Latency SLO of the reward',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The target URL as it may be shown: without the user and password it may carry. */
export function shownUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString().replace(/\/$/, '');
}

const SeriesName = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
const MetricsBody = Type.Object(
  {
    action: Type.Union([Type.Literal('start'), Type.Literal('stop')]),
    series: Type.Optional(SeriesName),
    interval_ms: Type.Optional(Type.Integer({ minimum: 50, maximum: 60_000, default: 200 })),
    namespace: TargetQuery.properties.namespace,
    deployment: TargetQuery.properties.deployment,
  },
  { additionalProperties: false },
);
const SeriesParams = Type.Object({ series: SeriesName });
const SeriesQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) },
  { additionalProperties: false },
);

function seriesView(s: SeriesStatus) {
  return {
    series: s.series,
    namespace: s.namespace,
    deployment: s.deployment,
    running: s.running,
    interval_ms: s.intervalMs,
    samples: s.samples,
    pending_samples: s.pending,
    lost_samples: s.lost,
    errors: s.errors,
    ...(s.lastError ? { last_error: s.lastError } : {}),
    started_at: new Date(s.startedMs).toISOString(),
    stopped_at: s.stoppedMs === undefined ? null : new Date(s.stoppedMs).toISOString(),
    links: {
      json: `/metrics/series/${s.series}?format=json`,
      csv: `/metrics/series/${s.series}?format=csv`,
    },
  };
}

export function experimentRoutes(app: FastifyInstance, deps: AppDeps): void {
  const { cluster, scaling } = deps;
  const bounds = () => ({ min: deps.config.podMin, max: deps.config.podMax });

  const setCount = async (
    query: ChangeQueryType,
    next: (current: number) => number,
    route: string,
  ) => {
    const { namespace, deployment } = resolveTarget(deps, query);
    const r = await scaling.setReplicas(namespace, deployment, next, { route, bounds: bounds() });
    const record = r.change && (query.wait ? await r.change.done : r.change.record);
    const clamped = r.desired !== r.requested;
    return {
      success: true as const,
      namespace,
      deployment,
      previous_pods: r.current,
      requested_pods: r.requested,
      pods: r.desired,
      changed: r.desired !== r.current,
      clamped,
      bounds: r.bounds,
      ...(record
        ? { decision_id: record.id, outcome: record.outcome, outcome_message: record.message }
        : {}),
      message:
        r.desired === r.current
          ? `${deployment} stays at ${r.current} pods (bounds ${r.bounds.min}–${r.bounds.max})`
          : `${deployment} scaled from ${r.current} to ${r.desired} pods${clamped ? ` (${r.requested} asked; bounds ${r.bounds.min}–${r.bounds.max})` : ''}`,
    };
  };

  const ScaleResponse = { 200: Open, ...errorResponses };

  const steps: [string, string, (n: number) => number][] = [
    [
      '/pod/scale/in',
      'Remove one pod from the target Deployment, never below the minimum (default 1)',
      (n) => n - 1,
    ],
    [
      '/pod/scale/out',
      'Add one pod to the target Deployment, never above the maximum (default 5)',
      (n) => n + 1,
    ],
  ];
  for (const [path, summary, step] of steps)
    app.post<{ Querystring: ChangeQueryType }>(
      path,
      {
        schema: {
          summary,
          tags: ['experiments'],
          querystring: ChangeQuery,
          response: ScaleResponse,
        },
      },
      (request) => setCount(request.query, step, `POST ${path}`),
    );

  app.post<{ Params: Static<typeof CountParams>; Querystring: ChangeQueryType }>(
    '/pod/set-pod-count/:count',
    {
      schema: {
        summary: 'Set the number of pods of the target Deployment, within the pod bounds',
        tags: ['experiments'],
        params: CountParams,
        querystring: ChangeQuery,
        response: ScaleResponse,
      },
    },
    (request) => setCount(request.query, () => request.params.count, 'POST /pod/set-pod-count'),
  );

  app.post<{ Querystring: TargetQueryType }>(
    '/pod/confirm',
    {
      schema: {
        summary:
          'Delete the target Deployment’s pods that are Pending, CrashLoopBackOff, ImagePullBackOff or Terminating, and list them',
        tags: ['experiments'],
        querystring: TargetQuery,
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const { namespace, deployment } = resolveTarget(deps, request.query);
      await requireNamespace(cluster, namespace);
      const { deleted, failed } = await scaling.deleteUnhealthyPods(
        namespace,
        deployment,
        'POST /pod/confirm',
      );
      for (const f of failed)
        request.log.warn({ pod: f.name, err: f.error }, 'could not delete pod');
      const { view } = await targetSnapshot(deps, namespace, deployment);
      return {
        ...view,
        deleted_pods: deleted.map((d) => ({
          name: d.name,
          status: d.status,
          decision_id: d.decisionId,
        })),
        deleted_count: deleted.length,
        ...(failed.length ? { failed_pods: failed } : {}),
      };
    },
  );

  // The load test is an action: it sends traffic (ADR 9 counts it with the changes). One at a
  // time, with seed 004's fixed plan from the configuration, never the caller's.
  let loadTestRunning = false;
  app.get<{ Querystring: Static<typeof AppStatQuery> }>(
    '/app/stat',
    {
      exposeHeadRoute: false,
      schema: {
        summary:
          'Pod information, then the configured load test of the target URL: average latency, drop percentage and the reward (one at a time; needs the API token)',
        tags: ['experiments'],
        querystring: AppStatQuery,
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const url = deps.config.targetUrl;
      if (!url)
        throw invalidArgument('no target URL to load-test: set QPILOT_TARGET_URL or --target-url');
      if (loadTestRunning)
        throw new QpError(
          'QP_ERR_CONFLICT',
          'a load test is running already; retry when it ends (it lasts QPILOT_LOAD_TEST_DURATION_SEC)',
        );
      const { slo_ms: slo = 200 } = request.query;
      const { namespace, deployment } = resolveTarget(deps, request.query);
      loadTestRunning = true;
      try {
        const { view } = await targetSnapshot(deps, namespace, deployment);
        const duration = deps.config.loadTestDurationSec;
        const connections = deps.config.loadTestConnections;
        const load = await runLoadTest({ url, durationSec: duration, connections, timeoutSec: 10 });
        const reward = appStatReward({
          averageLatencyMs: load.averageLatencyMs,
          dropPercent: load.dropPercent,
          pods: view.running_pods,
          maxPods: bounds().max,
          sloLatencyMs: slo,
        });
        return {
          ...view,
          load_test: {
            url: shownUrl(url),
            duration_seconds: duration,
            connections,
            requests: load.requests,
            requests_per_second: load.requestsPerSec,
            errors: load.errors,
            timeouts: load.timeouts,
            non_2xx: load.non2xx,
          },
          average_latency_ms: Number(load.averageLatencyMs.toFixed(2)),
          p97_5_latency_ms: load.p95LatencyMs,
          drop_percent: Number(load.dropPercent.toFixed(3)),
          reward: Number(reward.toFixed(4)),
          slo_ms: slo,
        };
      } finally {
        loadTestRunning = false;
      }
    },
  );

  app.post<{ Body: Static<typeof MetricsBody> }>(
    '/metrics',
    {
      schema: {
        summary:
          'Start or stop a sampler recording CPU %, memory, online and total pods every 0.2 s',
        tags: ['experiments'],
        body: MetricsBody,
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const body = request.body;
      if (body.action === 'start') {
        const target = resolveTarget(deps, body);
        // Fail now, with a 404 naming it, rather than record a series of errors.
        await requireNamespace(cluster, target.namespace);
        await cluster.getWorkload(target.namespace, target.deployment);
        const series = body.series ?? `${target.deployment}-${deps.clock.now()}`;
        // A name is a series for good: samples of two runs under one name would mix.
        const known = deps.sampler.status(series);
        if (!known?.running && (known || (await deps.samples.series(series)).length > 0))
          throw new QpError(
            'QP_ERR_CONFLICT',
            `series "${series}" exists already; choose another name`,
          );
        const s = await deps.sampler.start(series, target, body.interval_ms ?? 200);
        return { success: true, message: `recording series ${series}`, ...seriesView(s) };
      }
      if (!body.series) throw invalidArgument('body field "series" is required to stop a series');
      const s = await deps.sampler.stop(body.series);
      return { success: true, message: `stopped series ${s.series}`, ...seriesView(s) };
    },
  );

  app.get(
    '/metrics/series',
    {
      schema: {
        summary: 'The sampler series of this run: running and stopped',
        tags: ['experiments'],
        response: { 200: Open },
      },
    },
    () => ({ success: true, series: deps.sampler.list().map(seriesView) }),
  );

  app.get<{ Params: Static<typeof SeriesParams>; Querystring: Static<typeof SeriesQuery> }>(
    '/metrics/series/:series',
    {
      schema: {
        summary: 'A recorded series, as JSON or CSV',
        tags: ['experiments'],
        params: SeriesParams,
        querystring: SeriesQuery,
      },
    },
    async (request, reply) => {
      const { series } = request.params;
      const samples = await deps.samples.series(series);
      if (samples.length === 0 && !deps.sampler.status(series))
        throw new QpError('QP_ERR_NOT_FOUND', `series "${series}" not found`);
      if (request.query.format === 'csv') {
        const lines = [
          'timestamp,namespace,deployment,cpu_percent,memory_mb,online_pods,total_pods',
        ];
        for (const s of samples)
          lines.push(
            [
              new Date(s.timeMs).toISOString(),
              s.namespace,
              s.workload,
              s.cpuPercent ?? '',
              s.memoryMb ?? '',
              s.onlinePods,
              s.totalPods,
            ].join(','),
          );
        return reply.type('text/csv; charset=utf-8').send(`${lines.join('\n')}\n`);
      }
      return {
        success: true,
        series,
        count: samples.length,
        samples: samples.map((s) => ({
          timestamp: new Date(s.timeMs).toISOString(),
          namespace: s.namespace,
          deployment: s.workload,
          cpu_percent: s.cpuPercent,
          memory_mb: s.memoryMb,
          online_pods: s.onlinePods,
          total_pods: s.totalPods,
        })),
      };
    },
  );
}
