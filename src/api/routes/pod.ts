/** Seed 004's `GET /pod`: CPU and memory utilisation and pod counts of the target Deployment. */
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { listAll } from '../../cluster/clusterClient.js';
import { selectorFromMatchLabels } from '../../cluster/selectors.js';
import { invalidArgument } from '../../core/errors.js';
import { errorResponses, KubeName } from '../schemas.js';
import type { AppDeps } from '../deps.js';
import { deploymentPodView } from '../views.js';
import { requireNamespace } from './common.js';

export const TargetQuery = Type.Object(
  {
    namespace: Type.Optional({
      ...KubeName,
      description: 'Namespace of the target Deployment (default: the configured one)',
    }),
    deployment: Type.Optional({
      ...KubeName,
      description: 'The target Deployment (default: the configured one)',
    }),
  },
  { additionalProperties: false },
);
export type TargetQueryType = Static<typeof TargetQuery>;

const Nullable = (t: ReturnType<typeof Type.Number>) => Type.Union([t, Type.Null()]);

const PodStat = Type.Object({
  success: Type.Literal(true),
  namespace: Type.String(),
  deployment: Type.String(),
  cpu_utilization_percent: Nullable(
    Type.Number({
      description:
        "Usage over requests, as the HPA computes it: the pods it counts, their app containers' and sidecars' requests (the HPA reports the whole percent)",
    }),
  ),
  memory_utilization_percent: Nullable(Type.Number()),
  cpu_utilization_unavailable: Type.Union([Type.String(), Type.Null()], {
    description:
      'Why CPU utilisation cannot be computed (a container without a request, no metrics)',
  }),
  cpu_usage_cores: Nullable(Type.Number()),
  memory_usage_mb: Nullable(Type.Number()),
  running_pods: Type.Integer(),
  ready_pods: Type.Integer(),
  total_pods: Type.Integer(),
  desired_pods: Type.Integer(),
  pods_with_metrics: Type.Integer(),
  pod_statuses: Type.Record(Type.String(), Type.Integer()),
  request_latency_p95_ms: Nullable(
    Type.Number({ description: 'From Prometheus, when PROMETHEUS_URL is set' }),
  ),
  timestamp: Type.String(),
});

/** The Deployment a seed 004 route acts on: from the query, else from the configuration. */
export function resolveTarget(
  deps: AppDeps,
  query: TargetQueryType,
): { namespace: string; deployment: string } {
  const namespace = query.namespace ?? deps.config.targetNamespace;
  const deployment = query.deployment ?? deps.config.targetDeployment;
  if (!deployment) {
    throw invalidArgument(
      'no target deployment: pass ?deployment=NAME or set QPILOT_TARGET_DEPLOYMENT',
    );
  }
  return { namespace, deployment };
}

/** The target Deployment, its pods and seed 004's view of them, read once. */
export async function targetSnapshot(
  deps: Pick<AppDeps, 'cluster' | 'clock'>,
  namespace: string,
  deployment: string,
  /** Off for a caller that checked it already (the sampler, five times a second). */
  checkNamespace = true,
) {
  if (checkNamespace) await requireNamespace(deps.cluster, namespace);
  const dep = await deps.cluster.getWorkload(namespace, deployment);
  const labelSelector = selectorFromMatchLabels(dep.spec?.selector?.matchLabels);
  const pods = await listAll((o) => deps.cluster.listPods(o), {
    namespace,
    labelSelector,
    limit: 500,
  });
  const metrics = await deps.cluster.podMetrics({ namespace, labelSelector });
  const view = deploymentPodView(dep, pods, metrics, deps.clock.now());
  return { dep, pods, metrics, view };
}

export function podStatRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get<{ Querystring: TargetQueryType }>(
    '/pod',
    {
      schema: {
        summary: 'CPU and memory utilisation and running/total pods of the target Deployment',
        tags: ['pods'],
        querystring: TargetQuery,
        response: { 200: PodStat, ...errorResponses },
      },
    },
    async (request) => {
      const { namespace, deployment } = resolveTarget(deps, request.query);
      const { view } = await targetSnapshot(deps, namespace, deployment);
      let latency: number | null = null;
      if (deps.prometheus) {
        try {
          latency = (await deps.prometheus.workloadSignals(namespace, deployment)).latencyP95Ms;
        } catch (err) {
          // Latency is a bonus: without Prometheus the rest of the answer still stands.
          request.log.warn({ err: (err as Error).message }, 'Prometheus did not answer');
        }
      }
      return { ...view, request_latency_p95_ms: latency };
    },
  );
}
