/**
 * The one interface between qpilot and a cluster (ARCHITECTURE.md). The controller, the API
 * and the policies never know whether they drive the simulator, a real API server or a
 * remote agent. Object shapes are @kubernetes/client-node's; units inside qpilot are branded.
 */
import type { NodeMetric, PodMetric, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';

export interface ListOptions {
  /** Limit the listing to one namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; the whole list when absent or 0. */
  limit?: number;
  /** The token of the previous page. */
  continue?: string;
}

export interface Page<T> {
  items: T[];
  /** Present when more items follow; pass it back as `continue`. */
  continue?: string;
}

export interface ResourceQuantities {
  cpu?: string;
  memory?: string;
}

/** Resources per container name, the shape of seed 002's resize request. */
export type ContainerResourcesMap = Record<
  string,
  { requests?: ResourceQuantities; limits?: ResourceQuantities }
>;

export interface ScaleResult {
  namespace: string;
  name: string;
  previousReplicas: number;
  replicas: number;
}

export interface ReadyResult {
  namespace: string;
  name: string;
  replicas: number;
  readyReplicas: number;
  waitedMs: number;
}

export interface WaitOptions {
  timeoutMs: number;
  /** How often to look again; 1 s when absent. */
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/** `in_place`: the pod's resize subresource; `template`: the owning Deployment's template. */
export type ResizeMethod = 'in_place' | 'template';

export interface ResizeOptions {
  /**
   * When the cluster cannot resize in place (no subresource, or the resize is infeasible),
   * patch the owning Deployment's template instead. Off by default: the caller chooses.
   */
  fallbackToTemplate?: boolean;
}

export interface ResizeResult {
  namespace: string;
  pod: string;
  method: ResizeMethod;
  /** The owning Deployment, when the template was patched. */
  workload?: string;
  /** Why in-place resizing was not used, when the template was patched. */
  fallbackReason?: string;
  containers: ContainerResourcesMap;
}

export interface WorkloadUpdateResult {
  namespace: string;
  name: string;
  containers: ContainerResourcesMap;
}

export interface DrainOptions {
  timeoutMs: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

export interface DrainResult {
  node: string;
  evicted: string[];
  /** Pods left alone, as `kubectl drain` does: DaemonSet-managed and mirror pods. */
  skipped: { pod: string; reason: 'daemonset' | 'mirror' }[];
}

export type ObjectRef =
  | { kind: 'Node'; name: string }
  | { kind: 'Pod'; namespace: string; name: string }
  | { kind: 'Deployment'; namespace: string; name: string }
  /** qpilot's custom resource (events only: qpilot does not label it). */
  | { kind: 'Autopilot'; namespace: string; name: string };

/** Labels to set; `null` removes the label. */
export type LabelChanges = Record<string, string | null>;

export interface ClusterClient {
  /** What is behind the interface, for /health and logs: 'sim', 'kube' or 'agent'. */
  readonly kind: string;

  listNamespaces(): Promise<string[]>;

  listNodes(options?: Omit<ListOptions, 'namespace'>): Promise<Page<V1Node>>;
  getNode(name: string): Promise<V1Node>;

  listPods(options?: ListOptions): Promise<Page<V1Pod>>;
  getPod(namespace: string, name: string): Promise<V1Pod>;

  /** Deployments: replicas, ready replicas, selector, template resources, annotations. */
  listWorkloads(options?: ListOptions): Promise<Page<V1Deployment>>;
  getWorkload(namespace: string, name: string): Promise<V1Deployment>;

  /** Pod usage as metrics.k8s.io reports it: a window average, with its lag. */
  podMetrics(options?: { namespace?: string; labelSelector?: string }): Promise<PodMetric[]>;
  nodeMetrics(): Promise<NodeMetric[]>;

  /** Sets spec.replicas through the scale subresource. */
  scaleWorkload(namespace: string, name: string, replicas: number): Promise<ScaleResult>;
  /** Resolves when the workload has exactly `replicas` pods, all Ready; QP_ERR_TIMEOUT otherwise. */
  waitForWorkloadReady(
    namespace: string,
    name: string,
    replicas: number,
    options: WaitOptions,
  ): Promise<ReadyResult>;

  /** Changes a running pod's container resources without restarting it. */
  resizePod(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
    options?: ResizeOptions,
  ): Promise<ResizeResult>;
  /** Changes the Deployment's pod template resources (a rollout follows). */
  updateWorkloadResources(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
  ): Promise<WorkloadUpdateResult>;

  /** Evicts through the Eviction API; QP_ERR_DISRUPTION_BUDGET while a PDB forbids it. */
  evictPod(namespace: string, name: string): Promise<void>;
  deletePod(
    namespace: string,
    name: string,
    options?: { gracePeriodSeconds?: number },
  ): Promise<void>;

  cordonNode(name: string): Promise<void>;
  uncordonNode(name: string): Promise<void>;
  /** Cordon, then evict every pod but DaemonSet and mirror pods, honouring PDBs, until the timeout. */
  drainNode(name: string, options: DrainOptions): Promise<DrainResult>;

  label(target: ObjectRef, labels: LabelChanges): Promise<void>;

  /** Records a Kubernetes Event about an object (`kubectl describe` shows it). */
  recordEvent(target: ObjectRef, event: ClusterEvent): Promise<void>;
}

export interface ClusterEvent {
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, such as QpilotScaled. */
  reason: string;
  message: string;
}

/** Reads every page of a paged listing. */
export async function listAll<T>(
  list: (options: ListOptions) => Promise<Page<T>>,
  options: ListOptions = {},
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const page = await list({ ...options, continue: token });
    items.push(...page.items);
    token = page.continue;
  } while (token);
  return items;
}
