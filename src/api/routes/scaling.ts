/**
 * Seed 002's scaling routes: `POST /scale/pod/:namespace/:pod` (decide for the pod's
 * Deployment now, and act unless dry run), `POST /scale/all` (one control-loop cycle) and
 * `POST /api/namespaces/:namespace/pods/:pod/resize` (in place, with the Deployment's template
 * as the fallback).
 */
import type { FastifyInstance } from 'fastify';
import { type Static, Type } from 'typebox';
import { isNothingChanged } from '../../cluster/actuator.js';
import { deploymentNameOfPod, podMatchesDeployment } from '../../cluster/owner.js';
import { direction } from '../../core/decision.js';
import { invalidArgument } from '../../core/errors.js';
import type { WorkloadResult } from '../../controller/autoscaler.js';
import type { AppDeps, ScopeOf } from '../deps.js';
import { decisionObjectView, statisticsSummaryView } from '../decisionViews.js';
import { errorResponses, KubeName, KubeObjectName } from '../schemas.js';
import { requireNamespace } from './common.js';

const Open = Type.Object({}, { additionalProperties: true });
const PodParams = Type.Object({ namespace: KubeName, pod: KubeObjectName });

const Quantities = Type.Object(
  {
    cpu: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    memory: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);
const ResizeBody = Type.Object(
  {
    containers: Type.Record(
      Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
      Type.Object(
        { requests: Type.Optional(Quantities), limits: Type.Optional(Quantities) },
        { additionalProperties: false },
      ),
      { minProperties: 1, additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
/** `?wait=true`: answer once the change's rollout is settled, as seed 000's safe_scale does. */
export const Wait = Type.Optional(
  Type.Boolean({
    default: false,
    description:
      'Answer once the rollout of the change is verified (or timed out), instead of as soon as the API server accepted it',
  }),
);
const WaitQuery = Type.Object({ wait: Wait }, { additionalProperties: false });

const ResizeQuery = Type.Object(
  {
    wait: Wait,
    enable_horizontal_fallback: Type.Optional(
      Type.Boolean({
        default: true,
        description: "Update the owning Deployment's template when in-place resize is refused",
      }),
    ),
  },
  { additionalProperties: false },
);

function actions(r: WorkloadResult) {
  if (!r.record) return undefined;
  const d = r.record.decision;
  if (d.kind === 'vertical')
    return { cpu: direction(d.cpuMillicores), memory: direction(d.memoryBytes) };
  return {
    cpu: 'MAINTAIN',
    memory: 'MAINTAIN',
    ...(d.kind === 'horizontal'
      ? { replicas: `${d.replicas.current}->${d.replicas.desired}` }
      : {}),
  };
}

/** The final record of each change that was made, when the caller asked to wait for it. */
async function settled(results: WorkloadResult[], wait: boolean | undefined) {
  if (!wait) return results;
  return Promise.all(
    results.map(async (r) => {
      if (!r.done) return r;
      const record = await r.done;
      return { ...r, record, message: record.message };
    }),
  );
}

export function scalingRoutes(app: FastifyInstance, deps: AppDeps, scopeOf: ScopeOf): void {
  app.post<{ Params: Static<typeof PodParams>; Querystring: Static<typeof WaitQuery> }>(
    '/scale/pod/:namespace/:pod',
    {
      schema: {
        summary: 'Scale specific pod',
        description:
          "Decides for the pod's Deployment with its policy now and acts unless dry run, recommend mode or its cooldown says not to. The result is seed 002's full decision object; a change answers once the API server accepted it (outcome in_progress), or with ?wait=true once its rollout is settled.",
        tags: ['scaling'],
        params: PodParams,
        querystring: WaitQuery,
        response: {
          200: Type.Object({ success: Type.Literal(true), result: Open }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { scaling, cluster } = scopeOf(request);
      const { namespace, pod: podName } = request.params;
      await requireNamespace(cluster, namespace);
      const pod = await cluster.getPod(namespace, podName);
      const depName = deploymentNameOfPod(pod);
      const dep = depName ? await cluster.getWorkload(namespace, depName) : undefined;
      if (!dep || !podMatchesDeployment(pod, dep))
        throw invalidArgument(
          `pod "${namespace}/${podName}" is not managed by a Deployment; qpilot scales Deployments`,
        );
      if (!scaling.settings().dryRun) scaling.requireLeader();
      const [result] = await settled(
        [
          await scaling.autoscaler.processWorkload(namespace, depName!, podName, {
            ignoreBackoff: true,
            deployment: dep,
          }),
        ],
        request.query.wait,
      );
      if (!result) throw new Error('no result');
      if (result.status === 'error') throw result.error;
      const base = { status: result.status, ...(result.reason ? { reason: result.reason } : {}) };
      if (!result.record)
        return {
          success: true as const,
          result: {
            pod_name: podName,
            namespace,
            workload: depName,
            ...base,
            message: result.message,
            can_scale: false,
          },
        };
      return { success: true as const, result: { ...decisionObjectView(result.record), ...base } };
    },
  );

  app.post<{ Querystring: Static<typeof WaitQuery> }>(
    '/scale/all',
    {
      schema: {
        summary: 'Process and scale all pods',
        description:
          'One control-loop cycle over every Deployment of the configured namespaces, now: every change is issued at once and the answer comes when the API server accepted them (outcome in_progress), or with ?wait=true once their rollouts are settled. Skipped workloads say why: cooldown_period, excluded, mode_off, invalid_annotation, in_progress or backoff.',
        tags: ['scaling'],
        querystring: WaitQuery,
        response: {
          200: Type.Object({
            success: Type.Literal(true),
            processed: Type.Integer(),
            results: Type.Array(Open),
            statistics: Open,
            timestamp: Type.String(),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { scaling } = scopeOf(request);
      if (!scaling.settings().dryRun) scaling.requireLeader();
      const cycle = await scaling.autoscaler.runOnce();
      // A store that took no record: nothing was changed, and the whole request may be retried.
      const unrecorded = cycle.find((r) => isNothingChanged(r.error));
      if (unrecorded && !cycle.some((r) => r.done !== undefined)) throw unrecorded.error;
      const results = await settled(cycle, request.query.wait);
      const stats = await scaling.log.stats();
      return {
        success: true as const,
        processed: results.filter((r) => r.status === 'success').length,
        results: results.map((r) => ({
          pod_name: r.record?.pod ?? r.name,
          namespace: r.namespace,
          workload: r.name,
          status: r.status,
          ...(r.reason ? { reason: r.reason } : {}),
          message: r.message,
          ...(r.record
            ? { decision_id: r.record.id, outcome: r.record.outcome, actions: actions(r) }
            : {}),
        })),
        statistics: statisticsSummaryView(stats),
        timestamp: new Date(deps.clock.now()).toISOString(),
      };
    },
  );

  app.post<{
    Params: Static<typeof PodParams>;
    Querystring: Static<typeof ResizeQuery>;
    Body: Static<typeof ResizeBody>;
  }>(
    '/api/namespaces/:namespace/pods/:pod/resize',
    {
      schema: {
        summary: 'Resize pod resources',
        description:
          "In place through the pod's resize subresource; when the cluster refuses and enable_horizontal_fallback is true (the default), through the owning Deployment's template.",
        tags: ['scaling'],
        params: PodParams,
        querystring: ResizeQuery,
        body: ResizeBody,
        response: { 200: Open, ...errorResponses },
      },
    },
    async (request) => {
      const { scaling, cluster } = scopeOf(request);
      const { namespace, pod } = request.params;
      const fallback = request.query.enable_horizontal_fallback ?? true;
      await requireNamespace(cluster, namespace);
      const change = await scaling.resizePod(namespace, pod, request.body.containers, {
        fallback,
        route: 'POST /api/namespaces/:namespace/pods/:pod/resize',
      });
      const record = request.query.wait ? await change.done : change.record;
      const timestamp = new Date(deps.clock.now()).toISOString();
      const provenance = {
        decision_id: record.id,
        outcome: record.outcome,
        outcome_message: record.message,
      };
      if (change.resize?.method !== 'template')
        return {
          message: `Successfully resized pod ${pod} vertically`,
          pod,
          namespace,
          scaling_method: 'vertical',
          details: { pod_name: pod, namespace, container_resources: change.changes },
          timestamp,
          ...provenance,
        };
      return {
        message: `Successfully updated deployment ${change.workload} resources`,
        pod,
        namespace,
        scaling_method: 'deployment_update',
        details: {
          pod_name: pod,
          deployment_name: change.workload,
          namespace,
          container_resources: change.changes,
          reason: `Direct vertical scaling failed, updated via deployment: ${change.resize.fallbackReason ?? ''}`,
        },
        timestamp,
        ...provenance,
      };
    },
  );
}
