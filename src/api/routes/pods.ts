/** Seed 002's pod routes: `GET /pods` and `GET /pods/:namespace/:pod`. */
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { listAll } from '../../cluster/clusterClient.js';
import { errorResponses, KubeName, KubeObjectName, StringMap } from '../schemas.js';
import type { ScopeOf } from '../deps.js';
import { podDetailView, podView } from '../views.js';
import { requireNamespace } from './common.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

const PodSchema = Type.Object({
  name: Type.String(),
  namespace: Type.String(),
  status: Type.String(),
  creation_timestamp: Nullable(Type.String()),
  labels: StringMap,
  node_name: Nullable(Type.String()),
  pod_ip: Nullable(Type.String()),
  containers: Type.Array(
    Type.Object({
      name: Type.String(),
      image: Type.String(),
      resources: Type.Object({ requests: StringMap, limits: StringMap }),
    }),
  ),
  owner: Nullable(Type.Object({ kind: Type.String(), name: Type.String() })),
});

const ListQuery = Type.Object(
  {
    namespace: Type.Optional({
      ...KubeName,
      description: 'Only this namespace, instead of the configured ones',
    }),
    labelSelector: Type.Optional(
      Type.String({ maxLength: 1024, description: 'A Kubernetes label selector, such as app=web' }),
    ),
  },
  { additionalProperties: false },
);

const PodParams = Type.Object({ namespace: KubeName, pod: KubeObjectName });

const PodDetail = Type.Object({
  success: Type.Literal(true),
  pod: Type.String(),
  status: Type.String(),
  node_name: Nullable(Type.String()),
  metrics: Type.Object({
    cpu_usage_cores: Nullable(Type.Number()),
    memory_usage_mb: Nullable(Type.Number()),
    timestamp: Nullable(Type.String()),
    window: Nullable(Type.String()),
  }),
  resources: Type.Object({
    cpu_requests_cores: Type.Number(),
    memory_requests_mb: Type.Number(),
    cpu_limits_cores: Type.Number(),
    memory_limits_mb: Type.Number(),
  }),
});

export function podRoutes(app: FastifyInstance, scopeOf: ScopeOf): void {
  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/pods',
    {
      schema: {
        summary: 'List all monitored pods across the configured namespaces',
        tags: ['pods'],
        querystring: ListQuery,
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            count: Type.Integer(),
            pods: Type.Array(PodSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { namespace, labelSelector } = request.query;
      const { cluster, scaling } = scopeOf(request);
      if (namespace) await requireNamespace(cluster, namespace);
      // The live settings: POST /config may have changed the namespaces since start-up.
      const namespaces = namespace ? [namespace] : scaling.settings().namespaces;
      const pods = [];
      for (const ns of namespaces) {
        const items = await listAll((o) => cluster.listPods(o), {
          namespace: ns,
          labelSelector,
          limit: 500,
        });
        pods.push(...items.map(podView));
      }
      return { success: true as const, count: pods.length, pods };
    },
  );

  app.get<{ Params: Static<typeof PodParams> }>(
    '/pods/:namespace/:pod',
    {
      schema: {
        summary: "A pod's usage and requests",
        tags: ['pods'],
        params: PodParams,
        response: { 200: PodDetail, ...errorResponses },
      },
    },
    async (request) => {
      const { namespace, pod: name } = request.params;
      const { cluster } = scopeOf(request);
      await requireNamespace(cluster, namespace);
      const pod = await cluster.getPod(namespace, name);
      const metrics = await cluster.podMetrics({ namespace });
      return podDetailView(
        pod,
        metrics.find((m) => m.metadata.name === name),
      );
    },
  );
}
