/**
 * KubeCluster: the ClusterClient of a real cluster, over @kubernetes/client-node 1.x.
 * Replicas change only through the scale subresource, resources through the pods/resize
 * subresource or the owning Deployment's template (ARCHITECTURE.md rule 7). Every failure is
 * translated once, in kubeCall.
 */
import { AUTOPILOT_API_VERSION } from '../autopilot.js';
import { deploymentNameOfPod, podMatchesDeployment } from '../owner.js';
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  CustomObjectsApi,
  type NodeMetric,
  PatchStrategy,
  type PodMetric,
  ServerConfiguration,
  type CoreV1Event,
  type V1Deployment,
  type V1Node,
  type V1Pod,
  createConfiguration,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.js';
import { QpError, invalidArgument, isQpError } from '../../core/errors.js';
import type {
  ClusterClient,
  ClusterEvent,
  ContainerResourcesMap,
  DrainOptions,
  DrainResult,
  LabelChanges,
  ListOptions,
  ObjectRef,
  Page,
  ReadyResult,
  ResizeOptions,
  ResizeResult,
  ScaleResult,
  WaitOptions,
  WorkloadUpdateResult,
} from '../clusterClient.js';
import { drainNode, waitForWorkloadReady } from '../ops.js';
import { applyResourceChanges } from '../resourceChanges.js';
import { parseLabelSelector, validateLabel } from '../selectors.js';
import { type KubeCallContext, kubeCall, translateKubeError } from './errors.js';
import { TimeoutFetchLibrary } from './httpLibrary.js';

const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

export interface KubeClusterOptions {
  /** How long one API request may take before it counts as unreachable. */
  requestTimeoutMs?: number;
  /** Who reports Events (the pod name in a cluster). */
  identity?: string;
}

function page<T>(list: { items: T[]; metadata?: { _continue?: string } }): Page<T> {
  const token = list.metadata?._continue;
  return token ? { items: list.items, continue: token } : { items: list.items };
}

/** A listing's selectors and paging, as client-node's list calls take them. */
function listQuery(options: Omit<ListOptions, 'namespace'>) {
  return {
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    limit: checkLimit(options.limit),
    _continue: options.continue,
  };
}

function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined || limit === 0) return undefined;
  if (!Number.isInteger(limit) || limit < 0)
    throw invalidArgument(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

/** client-node's API configuration for a kubeconfig, with qpilot's per-request timeout. */
export function kubeApiConfiguration(kc: KubeConfig, timeoutMs: number) {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw invalidArgument('the kubeconfig has no current cluster');
  return createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: new TimeoutFetchLibrary(timeoutMs),
  });
}

const METRICS_API = { group: 'metrics.k8s.io', version: 'v1beta1' };

const API_VERSION_OF_KIND: Record<ObjectRef['kind'], string> = {
  Node: 'v1',
  Pod: 'v1',
  Deployment: 'apps/v1',
  Autopilot: AUTOPILOT_API_VERSION,
};

export class KubeCluster implements ClusterClient {
  readonly kind = 'kube';
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly timeoutMs: number;
  private readonly identity: string;

  constructor(
    kc: KubeConfig,
    readonly clock: Clock,
    options: KubeClusterOptions = {},
  ) {
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.identity = options.identity ?? 'qpilot';
    const configuration = kubeApiConfiguration(kc, this.timeoutMs);
    this.core = new CoreV1Api(configuration);
    this.apps = new AppsV1Api(configuration);
    // metrics.k8s.io through the same HTTP layer (its timeout, its kept-alive connections);
    // client-node's Metrics class has neither.
    this.custom = new CustomObjectsApi(configuration);
  }

  // ---- reading ------------------------------------------------------------------------------

  async listNamespaces(): Promise<string[]> {
    const list = await kubeCall({ verb: 'list', resource: 'namespaces' }, () =>
      this.core.listNamespace(),
    );
    return list.items.map((n) => n.metadata?.name ?? '').sort();
  }

  listNodes(options: Omit<ListOptions, 'namespace'> = {}): Promise<Page<V1Node>> {
    return kubeCall({ verb: 'list', resource: 'nodes' }, async () =>
      page(await this.core.listNode(listQuery(options))),
    );
  }

  getNode(name: string): Promise<V1Node> {
    return kubeCall({ verb: 'get', resource: 'nodes', name }, () => this.core.readNode({ name }));
  }

  listPods(options: ListOptions = {}): Promise<Page<V1Pod>> {
    const query = listQuery(options);
    const ns = options.namespace;
    return kubeCall({ verb: 'list', resource: 'pods', namespace: ns }, async () =>
      page(
        ns
          ? await this.core.listNamespacedPod({ namespace: ns, ...query })
          : await this.core.listPodForAllNamespaces(query),
      ),
    );
  }

  getPod(namespace: string, name: string): Promise<V1Pod> {
    return kubeCall({ verb: 'get', resource: 'pods', namespace, name }, () =>
      this.core.readNamespacedPod({ name, namespace }),
    );
  }

  listWorkloads(options: ListOptions = {}): Promise<Page<V1Deployment>> {
    const query = listQuery(options);
    const ns = options.namespace;
    return kubeCall({ verb: 'list', resource: 'deployments', namespace: ns }, async () =>
      page(
        ns
          ? await this.apps.listNamespacedDeployment({ namespace: ns, ...query })
          : await this.apps.listDeploymentForAllNamespaces(query),
      ),
    );
  }

  getWorkload(namespace: string, name: string): Promise<V1Deployment> {
    return kubeCall({ verb: 'get', resource: 'deployments', namespace, name }, () =>
      this.apps.readNamespacedDeployment({ name, namespace }),
    );
  }

  async podMetrics(
    options: { namespace?: string; labelSelector?: string } = {},
  ): Promise<PodMetric[]> {
    const ctx: KubeCallContext = {
      verb: 'list',
      resource: 'pods.metrics.k8s.io',
      namespace: options.namespace,
    };
    const list = await kubeCall(
      ctx,
      async () =>
        (options.namespace
          ? await this.custom.listNamespacedCustomObject({
              ...METRICS_API,
              plural: 'pods',
              namespace: options.namespace,
            })
          : await this.custom.listClusterCustomObject({
              ...METRICS_API,
              plural: 'pods',
            })) as { items: PodMetric[] },
    );
    if (!options.labelSelector) return list.items;
    // metrics.k8s.io items carry their pod's labels; filter with the same selector grammar.
    const select = parseLabelSelector(options.labelSelector);
    return list.items.filter((m) =>
      select((m.metadata as { labels?: Record<string, string> }).labels),
    );
  }

  async nodeMetrics(): Promise<NodeMetric[]> {
    const list = await kubeCall(
      { verb: 'list', resource: 'nodes.metrics.k8s.io' },
      async () =>
        (await this.custom.listClusterCustomObject({ ...METRICS_API, plural: 'nodes' })) as {
          items: NodeMetric[];
        },
    );
    return list.items;
  }

  // ---- acting -------------------------------------------------------------------------------

  async scaleWorkload(namespace: string, name: string, replicas: number): Promise<ScaleResult> {
    if (!Number.isInteger(replicas) || replicas < 0)
      throw invalidArgument(`replicas must be a non-negative integer, got ${replicas}`);
    const ctx = { verb: 'patch', resource: 'deployments/scale', namespace, name };
    const before = await kubeCall({ ...ctx, verb: 'get' }, () =>
      this.apps.readNamespacedDeploymentScale({ name, namespace }),
    );
    const after = await kubeCall(ctx, () =>
      this.apps.patchNamespacedDeploymentScale(
        { name, namespace, body: { spec: { replicas } } },
        MERGE,
      ),
    );
    return {
      namespace,
      name,
      previousReplicas: before.spec?.replicas ?? 0,
      replicas: after.spec?.replicas ?? replicas,
    };
  }

  waitForWorkloadReady(
    namespace: string,
    name: string,
    replicas: number,
    options: WaitOptions,
  ): Promise<ReadyResult> {
    return waitForWorkloadReady(this, this.clock, namespace, name, replicas, options);
  }

  async resizePod(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
    options: ResizeOptions = {},
  ): Promise<ResizeResult> {
    const pod = await this.getPod(namespace, name);
    const { changes } = applyResourceChanges(
      pod.spec?.containers ?? [],
      containers,
      `pod "${namespace}/${name}"`,
    );
    if (pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) {
      throw new QpError(
        'QP_ERR_CONFLICT',
        `pod "${namespace}/${name}" is not running (phase ${pod.status?.phase ?? 'unknown'}); only running pods can be resized in place`,
      );
    }
    const ctx: KubeCallContext = { verb: 'patch', resource: 'pods/resize', namespace, name };
    let refusal: QpError;
    try {
      const body = {
        spec: { containers: Object.entries(changes).map(([n, r]) => ({ name: n, resources: r })) },
      };
      const updated = await this.core.patchNamespacedPodResize(
        { name, namespace, body },
        STRATEGIC,
      );
      const pending = updated.status?.conditions?.find(
        (c) => c.type === 'PodResizePending' && c.reason === 'Infeasible',
      );
      if (!pending) return { namespace, pod: name, method: 'in_place', containers: changes };
      refusal = new QpError(
        'QP_ERR_INFEASIBLE',
        `resize of pod "${namespace}/${name}" is infeasible: ${pending.message ?? 'the node cannot fit it'}`,
      );
    } catch (err) {
      refusal = this.resizeRefusal(translateKubeError(err, ctx));
    }
    if (!options.fallbackToTemplate) throw refusal;
    const owner = await this.owningDeployment(pod);
    if (!owner)
      throw new QpError(
        refusal.code,
        `${refusal.message}; and pod "${namespace}/${name}" has no owning Deployment to fall back to`,
      );
    await this.updateWorkloadResources(namespace, owner, changes);
    return {
      namespace,
      pod: name,
      method: 'template',
      workload: owner,
      fallbackReason: refusal.message,
      containers: changes,
    };
  }

  /** Which failures of pods/resize mean "not in place here" (fall back), and which are real errors. */
  private resizeRefusal(err: QpError): QpError {
    const status = (err.details?.status as number | undefined) ?? 0;
    if (status === 404 || status === 405) {
      return new QpError(
        'QP_ERR_UNSUPPORTED',
        `the cluster does not support in-place pod resize (pods/resize): ${err.message}`,
        err.details,
      );
    }
    if (status === 422)
      return new QpError(
        'QP_ERR_INFEASIBLE',
        `in-place resize refused: ${err.message}`,
        err.details,
      );
    throw err;
  }

  /**
   * The Deployment that owns a pod, found through its ReplicaSet's name (Deployment name plus
   * the template hash) and checked against the Deployment's selector, so that no permission
   * on ReplicaSets is needed.
   */
  private async owningDeployment(pod: V1Pod): Promise<string | undefined> {
    const name = deploymentNameOfPod(pod);
    if (!name) return undefined;
    try {
      const dep = await this.getWorkload(pod.metadata?.namespace ?? '', name);
      return podMatchesDeployment(pod, dep) ? name : undefined;
    } catch (err) {
      if (isQpError(err, 'QP_ERR_NOT_FOUND')) return undefined;
      throw err;
    }
  }

  async updateWorkloadResources(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
  ): Promise<WorkloadUpdateResult> {
    const dep = await this.getWorkload(namespace, name);
    const { changes } = applyResourceChanges(
      dep.spec?.template?.spec?.containers ?? [],
      containers,
      `deployment "${namespace}/${name}"`,
    );
    const body = {
      spec: {
        template: {
          spec: {
            containers: Object.entries(changes).map(([n, r]) => ({ name: n, resources: r })),
          },
        },
      },
    };
    await kubeCall({ verb: 'patch', resource: 'deployments', namespace, name }, () =>
      this.apps.patchNamespacedDeployment({ name, namespace, body }, STRATEGIC),
    );
    return { namespace, name, containers: changes };
  }

  async evictPod(namespace: string, name: string): Promise<void> {
    await kubeCall({ verb: 'create', resource: 'pods/eviction', namespace, name }, () =>
      this.core.createNamespacedPodEviction({
        name,
        namespace,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace } },
      }),
    );
  }

  async deletePod(
    namespace: string,
    name: string,
    options: { gracePeriodSeconds?: number } = {},
  ): Promise<void> {
    const grace = options.gracePeriodSeconds;
    if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
      throw invalidArgument(`gracePeriodSeconds must be a non-negative integer, got ${grace}`);
    }
    await kubeCall({ verb: 'delete', resource: 'pods', namespace, name }, () =>
      this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: grace }),
    );
  }

  cordonNode(name: string): Promise<void> {
    return this.setUnschedulable(name, true);
  }

  uncordonNode(name: string): Promise<void> {
    return this.setUnschedulable(name, false);
  }

  private async setUnschedulable(name: string, value: boolean): Promise<void> {
    await kubeCall({ verb: 'patch', resource: 'nodes', name }, () =>
      this.core.patchNode({ name, body: { spec: { unschedulable: value ? true : null } } }, MERGE),
    );
  }

  drainNode(name: string, options: DrainOptions): Promise<DrainResult> {
    return drainNode(this, this.clock, name, options);
  }

  async recordEvent(target: ObjectRef, event: ClusterEvent): Promise<void> {
    const namespace = target.kind === 'Node' ? 'default' : target.namespace;
    const now = new Date(this.clock.now());
    const body: CoreV1Event = {
      metadata: { generateName: `${target.name}.`, namespace },
      involvedObject: {
        kind: target.kind,
        name: target.name,
        ...(target.kind === 'Node' ? {} : { namespace: target.namespace }),
        apiVersion: API_VERSION_OF_KIND[target.kind],
      },
      type: event.type,
      reason: event.reason,
      message: event.message,
      source: { component: 'qpilot' },
      reportingComponent: 'qpilot',
      reportingInstance: this.identity,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    await kubeCall({ verb: 'create', resource: 'events', namespace }, () =>
      this.core.createNamespacedEvent({ namespace, body }),
    );
  }

  async label(target: ObjectRef, labels: LabelChanges): Promise<void> {
    for (const [k, v] of Object.entries(labels)) validateLabel(k, v ?? '');
    const body = { metadata: { labels } };
    switch (target.kind) {
      case 'Node':
        await kubeCall({ verb: 'patch', resource: 'nodes', name: target.name }, () =>
          this.core.patchNode({ name: target.name, body }, MERGE),
        );
        return;
      case 'Pod':
        await kubeCall(
          { verb: 'patch', resource: 'pods', namespace: target.namespace, name: target.name },
          () =>
            this.core.patchNamespacedPod(
              { name: target.name, namespace: target.namespace, body },
              MERGE,
            ),
        );
        return;
      case 'Deployment':
        await kubeCall(
          {
            verb: 'patch',
            resource: 'deployments',
            namespace: target.namespace,
            name: target.name,
          },
          () =>
            this.apps.patchNamespacedDeployment(
              { name: target.name, namespace: target.namespace, body },
              MERGE,
            ),
        );
        return;
      default:
        throw invalidArgument(
          `cannot label objects of kind "${(target as { kind: string }).kind}"`,
        );
    }
  }
}
