/**
 * SimCluster: the embedded simulated cluster, a complete ClusterClient. It catches up with
 * its injected clock lazily, at every call, so under a ManualClock a simulated day takes a
 * fraction of a second and under the real clock it behaves like a live cluster.
 */
import type {
  NodeMetric,
  PodMetric,
  V1Deployment,
  V1Node,
  V1Pod,
  V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.js';
import { QpError, invalidArgument, notFound } from '../../core/errors.js';
import { bytes, millicores } from '../../core/units.js';
import type { ServiceSignals } from '../../core/workload.js';
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
import { formatCpu, formatMemory, parseCpu, parseMemory } from '../quantity.js';
import { applyResourceChanges } from '../resourceChanges.js';
import {
  matchesFields,
  parseFieldSelector,
  parseLabelSelector,
  validateLabel,
} from '../selectors.js';
import { SimEngine } from './engine.js';
import {
  DEFAULT_WORKLOAD_MODEL,
  type InjectedPodState,
  INJECTABLE_POD_STATES,
  type PdbSpec,
  type SimDeploymentSpec,
  type SimNodeSpec,
  type SimOptions,
  type TickSample,
  type WorkloadModel,
  type WorkloadTelemetry,
} from './model.js';
import { pageOf } from './paging.js';
import { RecentService } from './recentService.js';
import { pdbMatches, pdbStatus } from './pdb.js';
import {
  type ContainerState,
  type DeploymentState,
  type NodeState,
  type PodState,
  containerFromSpec,
  emptyTelemetry,
  sumRequests,
  templateHash,
  withNumbers,
} from './state.js';
import { deploymentToKube, nodeToKube, pdbToKube, podToKube } from './toKube.js';

const POD_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'status.phase',
  'status.podIP',
] as const;
const NODE_FIELDS = ['metadata.name', 'spec.unschedulable'] as const;
const DEPLOYMENT_FIELDS = ['metadata.name', 'metadata.namespace'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_REPLICAS = 100_000;

function podField(pod: PodState, field: string): string {
  switch (field) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'spec.nodeName':
      return pod.nodeName ?? '';
    case 'spec.restartPolicy':
      return 'Always';
    case 'spec.schedulerName':
      return 'default-scheduler';
    case 'status.phase':
      return pod.phase;
    case 'status.podIP':
      return pod.podIp ?? '';
    default:
      return '';
  }
}

function checkName(kind: string, name: string): void {
  if (!DNS_LABEL.test(name) || name.length > 63) {
    throw invalidArgument(
      `${kind} name "${name}" must be a DNS label (lowercase letters, digits and '-', at most 63 characters)`,
    );
  }
}

export class SimCluster implements ClusterClient {
  readonly kind = 'sim';
  readonly engine: SimEngine;

  constructor(
    readonly clock: Clock,
    options: SimOptions = {},
  ) {
    const startMs = options.startMs ?? clock.now();
    if (startMs > clock.now()) throw invalidArgument('a simulation cannot start in the future');
    this.engine = new SimEngine(startMs, options);
    if (!(this.engine.options.tickMs > 0)) throw invalidArgument('tickMs must be > 0');
  }

  /** Processes every tick up to the clock's present. */
  sync(): void {
    const now = this.clock.now();
    const tick = this.engine.options.tickMs;
    const e = this.engine;
    while (e.nowMs + tick <= now) e.tick(e.nowMs + tick);
  }

  /** A number that changes whenever any object changes (not when only usage does). */
  get revision(): number {
    this.sync();
    return this.engine.revision;
  }

  // ---- building a scenario ----------------------------------------------------------------

  addNode(spec: SimNodeSpec): V1Node {
    checkName('node', spec.name);
    if (this.engine.nodes.has(spec.name))
      throw new QpError('QP_ERR_CONFLICT', `node "${spec.name}" already exists`);
    const cpu = parseCpu(spec.cpu);
    const memory = parseMemory(spec.memory);
    const node: NodeState = {
      uid: this.engine.nextUid(),
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'node.kubernetes.io/instance-type': `sim-${formatCpu(cpu)}cpu-${formatMemory(memory)}`,
        ...spec.labels,
      },
      index: this.engine.nextNodeIndex(),
      cpuCapacityM: cpu,
      memoryCapacityB: memory,
      cpuAllocatableM: spec.allocatableCpu ? parseCpu(spec.allocatableCpu) : cpu,
      memoryAllocatableB: spec.allocatableMemory ? parseMemory(spec.allocatableMemory) : memory,
      maxPods: spec.maxPods ?? 110,
      unschedulable: false,
      cpuRequestedM: 0,
      memoryRequestedB: 0,
      podCount: 0,
      nextIp: 0,
      createdMs: this.engine.nowMs,
      resourceVersion: 0,
    };
    this.engine.touch(node);
    this.engine.nodes.set(node.name, node);
    this.kickScheduler();
    return nodeToKube(node);
  }

  createNamespace(name: string): void {
    checkName('namespace', name);
    this.engine.namespaces.add(name);
    this.engine.revision++;
  }

  createDeployment(spec: SimDeploymentSpec): V1Deployment {
    const namespace = spec.namespace ?? 'default';
    checkName('namespace', namespace);
    checkName('deployment', spec.name);
    const key = `${namespace}/${spec.name}`;
    if (this.engine.deployments.has(key))
      throw new QpError('QP_ERR_CONFLICT', `deployment "${key}" already exists`);
    this.checkReplicas(spec.replicas);
    if (spec.containers.length === 0)
      throw invalidArgument(`deployment "${key}" needs at least one container`);
    const containers = spec.containers.map(containerFromSpec);
    const podLabels = spec.labels ?? { app: spec.name };
    for (const [k, v] of Object.entries(podLabels)) validateLabel(k, v);
    const model: WorkloadModel = { ...DEFAULT_WORKLOAD_MODEL, ...spec.model };
    this.engine.namespaces.add(namespace);
    const now = this.engine.nowMs;
    const dep: DeploymentState = {
      uid: this.engine.nextUid(),
      namespace,
      name: spec.name,
      key,
      labels: { ...podLabels },
      podLabels: { ...podLabels },
      annotations: { ...spec.annotations },
      replicas: spec.replicas,
      generation: 1,
      templateGen: 1,
      templateHash: '',
      containers,
      model,
      pods: [],
      createdMs: now,
      loadStartMs: now,
      failNewPodsWith: spec.failNewPodsWith ?? null,
      telemetry: emptyTelemetry(now),
      needsReconcile: true,
      rollingOut: false,
      resourceVersion: 0,
      noise: this.engine.rng.fork(`noise/${key}`),
      listeners: [],
      recent: new RecentService(),
    };
    dep.templateHash = this.hashOf(dep);
    this.engine.deployments.set(key, dep);
    this.sortedDeploymentsStale = true;
    this.engine.reconcile(dep);
    return deploymentToKube(dep);
  }

  deleteDeployment(namespace: string, name: string): void {
    this.sync();
    const dep = this.deploymentOrThrow(namespace, name);
    for (const pod of [...dep.pods]) this.engine.deletePod(pod, 30_000);
    for (const pod of [...dep.pods]) this.engine.orphan(pod);
    this.engine.deployments.delete(dep.key);
    this.sortedDeploymentsStale = true;
    this.engine.revision++;
  }

  createPdb(spec: PdbSpec): V1PodDisruptionBudget {
    const namespace = spec.namespace ?? 'default';
    checkName('poddisruptionbudget', spec.name);
    if ((spec.minAvailable === undefined) === (spec.maxUnavailable === undefined)) {
      throw invalidArgument(
        `poddisruptionbudget "${spec.name}" needs exactly one of minAvailable and maxUnavailable`,
      );
    }
    for (const v of [spec.minAvailable, spec.maxUnavailable]) {
      if (typeof v === 'string' && !/^\d+%$/.test(v))
        throw invalidArgument(`"${v}" is neither a count nor a percentage`);
    }
    const pdb = {
      uid: this.engine.nextUid(),
      namespace,
      name: spec.name,
      matchLabels: { ...spec.matchLabels },
      minAvailable: spec.minAvailable,
      maxUnavailable: spec.maxUnavailable,
      createdMs: this.engine.nowMs,
    };
    this.engine.namespaces.add(namespace);
    this.engine.pdbs.set(`${namespace}/${spec.name}`, pdb);
    return this.pdbObject(pdb);
  }

  listPdbs(namespace?: string): V1PodDisruptionBudget[] {
    this.sync();
    return [...this.engine.pdbs.values()]
      .filter((p) => !namespace || p.namespace === namespace)
      .map((p) => this.pdbObject(p));
  }

  /** Forces a pod into a failure state (Pending, CrashLoopBackOff, ImagePullBackOff, Terminating) or an end phase. */
  injectPodState(namespace: string, name: string, state: InjectedPodState): V1Pod {
    if (!INJECTABLE_POD_STATES.includes(state)) {
      throw invalidArgument(
        `cannot inject state "${state as string}"; one of ${INJECTABLE_POD_STATES.join(', ')}`,
      );
    }
    this.sync();
    const pod = this.podOrThrow(namespace, name);
    this.engine.inject(pod, state);
    return podToKube(pod, this.engine.nodes);
  }

  /** Every pod the Deployment creates from now on gets stuck in `state`; null heals it. */
  setFailNewPods(
    namespace: string,
    name: string,
    state: SimDeploymentSpec['failNewPodsWith'] | null,
  ): void {
    this.deploymentOrThrow(namespace, name).failNewPodsWith = state ?? null;
  }

  /** Changes the workload model (trace, costs, startup delay) of a Deployment from now on. */
  setWorkloadModel(namespace: string, name: string, model: Partial<WorkloadModel>): void {
    this.sync();
    const dep = this.deploymentOrThrow(namespace, name);
    dep.model = { ...dep.model, ...model };
    if (model.traceOffsetSec !== undefined || model.trace !== undefined)
      dep.loadStartMs = this.engine.nowMs;
  }

  telemetry(namespace: string, name: string): WorkloadTelemetry {
    this.sync();
    const t = this.deploymentOrThrow(namespace, name).telemetry;
    return { ...t, last: { ...t.last } };
  }

  /** The load of each of the next `ticks` ticks, exactly as the simulation will offer it. */
  forecastLoad(namespace: string, name: string, ticks: number): Float64Array {
    this.sync();
    return this.engine.forecastLoad(this.deploymentOrThrow(namespace, name), ticks);
  }

  /**
   * What a Prometheus scraping the workload's request histogram would say: the p95 latency and
   * the share dropped over the last two metrics windows (30 s by default). The simulator is its
   * own latency source, so that `dqn` can learn a simulated workload as it learns a real one.
   */
  serviceSignals(namespace: string, name: string): Promise<ServiceSignals | undefined> {
    this.sync();
    const dep = this.engine.deployments.get(`${namespace}/${name}`);
    if (!dep) return Promise.resolve(undefined);
    return Promise.resolve(
      dep.recent.signals(
        this.engine.nowMs,
        2 * this.engine.options.metricsResolutionMs,
        dep.model.baseLatencyMs,
      ),
    );
  }

  /** Calls `listener` after every tick of the Deployment (the sample object is reused). */
  onTick(namespace: string, name: string, listener: (sample: TickSample) => void): () => void {
    const dep = this.deploymentOrThrow(namespace, name);
    dep.listeners.push(listener);
    return () => {
      dep.listeners = dep.listeners.filter((l) => l !== listener);
    };
  }

  // ---- ClusterClient: reading ---------------------------------------------------------------

  listNamespaces(): Promise<string[]> {
    return Promise.resolve([...this.engine.namespaces].sort());
  }

  listNodes(options: Omit<ListOptions, 'namespace'> = {}): Promise<Page<V1Node>> {
    return this.run(() => {
      const labels = parseLabelSelector(options.labelSelector);
      const fields = parseFieldSelector(options.fieldSelector, NODE_FIELDS);
      const nodes = [...this.engine.nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
      const get = (n: NodeState) => (f: string) =>
        f === 'metadata.name' ? n.name : String(n.unschedulable);
      return pageOf(
        nodes,
        (n) => n.name,
        (n) => labels(n.labels) && matchesFields(fields, get(n)),
        nodeToKube,
        options,
      );
    });
  }

  getNode(name: string): Promise<V1Node> {
    return this.run(() => nodeToKube(this.nodeOrThrow(name)));
  }

  listPods(options: ListOptions = {}): Promise<Page<V1Pod>> {
    return this.run(() => {
      const labels = parseLabelSelector(options.labelSelector);
      const fields = parseFieldSelector(options.fieldSelector, POD_FIELDS);
      const ns = options.namespace;
      return pageOf(
        this.engine.podsSorted(),
        (p) => p.key,
        (p) =>
          labels(p.labels) && (fields.length === 0 || matchesFields(fields, (f) => podField(p, f))),
        (p) => this.podObject(p),
        options,
        ns === undefined ? undefined : `${ns}/`,
      );
    });
  }

  getPod(namespace: string, name: string): Promise<V1Pod> {
    return this.run(() => this.podObject(this.podOrThrow(namespace, name)));
  }

  listWorkloads(options: ListOptions = {}): Promise<Page<V1Deployment>> {
    return this.run(() => {
      const labels = parseLabelSelector(options.labelSelector);
      const fields = parseFieldSelector(options.fieldSelector, DEPLOYMENT_FIELDS);
      const ns = options.namespace;
      return pageOf(
        this.deploymentsSorted(),
        (d) => d.key,
        (d) =>
          labels(d.labels) &&
          (fields.length === 0 ||
            matchesFields(fields, (f) => (f === 'metadata.name' ? d.name : d.namespace))),
        deploymentToKube,
        options,
        ns === undefined ? undefined : `${ns}/`,
      );
    });
  }

  private sortedDeployments?: { count: number; list: DeploymentState[] };

  /** The Deployments in key order, sorted again only when one was created or deleted. */
  private deploymentsSorted(): DeploymentState[] {
    const all = this.engine.deployments;
    if (this.sortedDeployments?.count !== all.size || this.sortedDeploymentsStale) {
      this.sortedDeployments = {
        count: all.size,
        list: [...all.values()].sort((a, b) => (a.key < b.key ? -1 : 1)),
      };
      this.sortedDeploymentsStale = false;
    }
    return this.sortedDeployments.list;
  }

  private sortedDeploymentsStale = false;

  getWorkload(namespace: string, name: string): Promise<V1Deployment> {
    return this.run(() => deploymentToKube(this.deploymentOrThrow(namespace, name)));
  }

  podMetrics(options: { namespace?: string; labelSelector?: string } = {}): Promise<PodMetric[]> {
    return this.run(() => {
      const labels = parseLabelSelector(options.labelSelector);
      const now = this.clock.now();
      const out: PodMetric[] = [];
      const ns = options.namespace;
      // A namespace's pods are contiguous in key order: read only its range.
      const page = pageOf(
        this.engine.podsSorted(),
        (p) => p.key,
        (p) => labels(p.labels) && p.deletionMs === null,
        (p) => p,
        {},
        ns === undefined ? undefined : `${ns}/`,
      );
      for (const pod of page.items) {
        const cached = this.metricObjects.get(pod);
        if (cached && cached.tMs === this.engine.publishedScrapeMs(pod, now)) {
          out.push(cached.object);
          continue;
        }
        const usage = this.engine.podUsage(pod, now);
        if (usage) out.push(this.metricObject(pod, usage));
      }
      return out;
    });
  }

  private readonly metricObjects = new WeakMap<PodState, { tMs: number; object: PodMetric }>();

  /** A pod's metrics as metrics.k8s.io shows them, the same object until the next scrape. */
  private metricObject(
    pod: PodState,
    usage: NonNullable<ReturnType<SimEngine['podUsage']>>,
  ): PodMetric {
    const at = new Date(usage.tMs).toISOString();
    const object: PodMetric = {
      metadata: { name: pod.name, namespace: pod.namespace, selfLink: '', creationTimestamp: at },
      timestamp: at,
      window: `${usage.windowMs / 1000}s`,
      containers: pod.containers.map((c, i) => ({
        name: c.name,
        usage:
          i === 0
            ? { cpu: nanocores(usage.cpuCores), memory: kibibytes(usage.memoryB) }
            : { cpu: '0', memory: '0' },
      })),
    };
    this.metricObjects.set(pod, { tMs: usage.tMs, object });
    return object;
  }

  nodeMetrics(): Promise<NodeMetric[]> {
    return this.run(() => {
      const now = this.clock.now();
      const sums = new Map<
        string,
        { cpu: number; memory: number; tMs: number; windowMs: number }
      >();
      for (const node of this.engine.nodes.values()) {
        sums.set(node.name, {
          cpu: this.engine.options.nodeSystemCpuMillicores / 1000,
          memory: this.engine.options.nodeSystemMemoryBytes,
          tMs: 0,
          windowMs: this.engine.options.metricsResolutionMs,
        });
      }
      for (const pod of this.engine.pods.values()) {
        const sum = pod.nodeName ? sums.get(pod.nodeName) : undefined;
        const usage = sum && pod.deletionMs === null ? this.engine.podUsage(pod, now) : undefined;
        if (!sum || !usage) continue;
        sum.cpu += usage.cpuCores;
        sum.memory += usage.memoryB;
        sum.tMs = Math.max(sum.tMs, usage.tMs);
      }
      return [...sums.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, s]) => ({
          metadata: { name, selfLink: '', creationTimestamp: new Date(now).toISOString() },
          timestamp: new Date(s.tMs || now).toISOString(),
          window: `${s.windowMs / 1000}s`,
          usage: { cpu: nanocores(s.cpu), memory: kibibytes(s.memory) },
        }));
    });
  }

  // ---- ClusterClient: acting ----------------------------------------------------------------

  scaleWorkload(namespace: string, name: string, replicas: number): Promise<ScaleResult> {
    return this.run(() => {
      this.checkReplicas(replicas);
      const dep = this.deploymentOrThrow(namespace, name);
      const previousReplicas = dep.replicas;
      if (replicas !== previousReplicas) {
        dep.replicas = replicas;
        dep.generation++;
        this.engine.reconcile(dep);
      }
      return { namespace, name, previousReplicas, replicas };
    });
  }

  waitForWorkloadReady(
    namespace: string,
    name: string,
    replicas: number,
    options: WaitOptions,
  ): Promise<ReadyResult> {
    return waitForWorkloadReady(this, this.clock, namespace, name, replicas, options);
  }

  resizePod(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
    options: ResizeOptions = {},
  ): Promise<ResizeResult> {
    return this.run(() => {
      const pod = this.podOrThrow(namespace, name);
      const next = mergeResources(pod.containers, containers, `pod "${pod.key}"`);
      let refusal: QpError | undefined;
      if (!this.engine.options.inPlaceResize) {
        refusal = new QpError(
          'QP_ERR_UNSUPPORTED',
          'the cluster does not support in-place pod resize (pods/resize)',
        );
      } else if (pod.phase !== 'Running' || pod.nodeName === null || pod.deletionMs !== null) {
        throw new QpError(
          'QP_ERR_CONFLICT',
          `pod "${pod.key}" is not running (phase ${pod.phase}); only running pods can be resized in place`,
        );
      } else {
        refusal = this.resizeRefusal(pod, next);
      }
      if (!refusal) {
        const req = sumRequests(next);
        pod.containers = next;
        this.engine.setPodRequests(pod, req.cpuM, req.memoryB);
        return { namespace, pod: name, method: 'in_place' as const, containers };
      }
      if (!options.fallbackToTemplate) throw refusal;
      if (!pod.owner)
        throw new QpError(
          refusal.code,
          `${refusal.message}; and pod "${pod.key}" has no owning Deployment to fall back to`,
        );
      this.applyTemplate(pod.owner, containers);
      return {
        namespace,
        pod: name,
        method: 'template' as const,
        workload: pod.owner.name,
        fallbackReason: refusal.message,
        containers,
      };
    });
  }

  private resizeRefusal(pod: PodState, next: ContainerState[]): QpError | undefined {
    const node = this.engine.nodes.get(pod.nodeName!)!;
    const req = sumRequests(next);
    const cpuFree = node.cpuAllocatableM - (node.cpuRequestedM - pod.cpuRequestM);
    const memoryFree = node.memoryAllocatableB - (node.memoryRequestedB - pod.memoryRequestB);
    if (req.cpuM > cpuFree || req.memoryB > memoryFree) {
      return new QpError(
        'QP_ERR_INFEASIBLE',
        `resize of pod "${pod.key}" is infeasible: node ${node.name} has ${formatCpu(millicores(Math.max(0, cpuFree)))} cpu and ${formatMemory(bytes(Math.max(0, memoryFree)))} memory for it`,
      );
    }
    const limit = next[0]?.memoryLimitB ?? 0;
    if (limit > 0 && limit < pod.memoryB) {
      return new QpError(
        'QP_ERR_INFEASIBLE',
        `resize of pod "${pod.key}" is infeasible: the memory limit would be below the ${formatMemory(bytes(Math.round(pod.memoryB)))} in use`,
      );
    }
    return undefined;
  }

  updateWorkloadResources(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
  ): Promise<WorkloadUpdateResult> {
    return this.run(() => {
      this.applyTemplate(this.deploymentOrThrow(namespace, name), containers);
      return { namespace, name, containers };
    });
  }

  private applyTemplate(dep: DeploymentState, containers: ContainerResourcesMap): void {
    dep.containers = mergeResources(dep.containers, containers, `deployment "${dep.key}"`);
    dep.templateGen++;
    dep.generation++;
    dep.templateHash = this.hashOf(dep);
    this.engine.reconcile(dep);
  }

  evictPod(namespace: string, name: string): Promise<void> {
    return this.run(() => {
      const pod = this.podOrThrow(namespace, name);
      if (pod.deletionMs !== null) return;
      for (const pdb of this.engine.pdbs.values()) {
        if (!pdbMatches(pdb, pod)) continue;
        const s = pdbStatus(pdb, this.engine.pods.values(), this.engine.deployments.values());
        // The default unhealthyPodEvictionPolicy (IfHealthyBudget): a pod that is not Ready may
        // go while the budget is met; a Ready one only while a disruption is allowed.
        const allowed = pod.ready
          ? s.disruptionsAllowed >= 1
          : s.currentHealthy >= s.desiredHealthy;
        if (!allowed) {
          throw new QpError(
            'QP_ERR_DISRUPTION_BUDGET',
            `Cannot evict pod as it would violate the pod's disruption budget: ${pdb.namespace}/${pdb.name} needs ${s.desiredHealthy} healthy pods and has ${s.currentHealthy}`,
            { pod: pod.key, pdb: pdb.name, ...s },
          );
        }
      }
      this.engine.deletePod(pod, 30_000);
    });
  }

  deletePod(
    namespace: string,
    name: string,
    options: { gracePeriodSeconds?: number } = {},
  ): Promise<void> {
    return this.run(() => {
      const grace = options.gracePeriodSeconds ?? 30;
      if (!Number.isInteger(grace) || grace < 0)
        throw invalidArgument(`gracePeriodSeconds must be a non-negative integer, got ${grace}`);
      this.engine.deletePod(this.podOrThrow(namespace, name), grace * 1000);
    });
  }

  cordonNode(name: string): Promise<void> {
    return this.run(() => this.setUnschedulable(name, true));
  }

  uncordonNode(name: string): Promise<void> {
    return this.run(() => this.setUnschedulable(name, false));
  }

  drainNode(name: string, options: DrainOptions): Promise<DrainResult> {
    return drainNode(this, this.clock, name, options);
  }

  label(target: ObjectRef, labels: LabelChanges): Promise<void> {
    return this.run(() => {
      for (const [k, v] of Object.entries(labels)) validateLabel(k, v ?? '');
      if (target.kind === 'Node') {
        const node = this.nodeOrThrow(target.name);
        applyLabels(node.labels, labels);
        this.engine.touch(node);
      } else if (target.kind === 'Deployment') {
        const dep = this.deploymentOrThrow(target.namespace, target.name);
        applyLabels(dep.labels, labels);
        this.engine.touch(dep);
      } else if (target.kind === 'Pod') {
        const pod = this.podOrThrow(target.namespace, target.name);
        applyLabels(pod.labels, labels);
        this.engine.touch(pod);
        const owner = pod.owner;
        if (owner && Object.entries(owner.podLabels).some(([k, v]) => pod.labels[k] !== v))
          this.engine.orphan(pod);
      } else {
        throw invalidArgument(
          `cannot label objects of kind "${(target as { kind: string }).kind}"`,
        );
      }
    });
  }

  /** Events recorded through `recordEvent`, oldest first (the simulator keeps the last 1,000). */
  readonly events: { target: ObjectRef; event: ClusterEvent; timeMs: number }[] = [];

  recordEvent(target: ObjectRef, event: ClusterEvent): Promise<void> {
    return this.run(() => {
      this.events.push({ target, event: { ...event }, timeMs: this.clock.now() });
      if (this.events.length > 1000) this.events.shift();
    });
  }

  // ---- helpers --------------------------------------------------------------------------------

  private readonly podObjects = new WeakMap<PodState, { resourceVersion: number; object: V1Pod }>();

  /**
   * The pod as a Kubernetes object, built again only when the pod changed: evaluation lists
   * every pod every 15 s, and most have not changed since. Callers must not modify it.
   */
  private podObject(pod: PodState): V1Pod {
    const cached = this.podObjects.get(pod);
    if (cached && cached.resourceVersion === pod.resourceVersion) return cached.object;
    const object = podToKube(pod, this.engine.nodes);
    this.podObjects.set(pod, { resourceVersion: pod.resourceVersion, object });
    return object;
  }

  /** Syncs, runs `fn`, and turns its result or error into a promise (errors never escape synchronously). */
  private run<T>(fn: () => T): Promise<T> {
    try {
      this.sync();
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private kickScheduler(): void {
    // A new node (or uncordon) can fit pods that waited.
    this.engine.wakeScheduler();
  }

  private setUnschedulable(name: string, value: boolean): void {
    const node = this.nodeOrThrow(name);
    if (node.unschedulable === value) return;
    node.unschedulable = value;
    this.engine.touch(node);
    if (!value) this.kickScheduler();
  }

  private checkReplicas(replicas: number): void {
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
      throw invalidArgument(
        `replicas must be an integer from 0 to ${MAX_REPLICAS}, got ${replicas}`,
      );
    }
  }

  private hashOf(dep: DeploymentState): string {
    return templateHash(
      JSON.stringify([
        dep.key,
        dep.templateGen,
        dep.podLabels,
        dep.containers.map((c) => [c.name, c.image, c.requests, c.limits]),
      ]),
    );
  }

  private pdbObject(pdb: Parameters<typeof pdbStatus>[0]): V1PodDisruptionBudget {
    return pdbToKube(
      pdb,
      pdbStatus(pdb, this.engine.pods.values(), this.engine.deployments.values()),
    );
  }

  private namespaceOrThrow(namespace: string): void {
    if (!this.engine.namespaces.has(namespace)) throw notFound('namespace', namespace);
  }

  private podOrThrow(namespace: string, name: string): PodState {
    this.namespaceOrThrow(namespace);
    const pod = this.engine.pods.get(`${namespace}/${name}`);
    if (!pod) throw notFound('pod', `${namespace}/${name}`);
    return pod;
  }

  private deploymentOrThrow(namespace: string, name: string): DeploymentState {
    this.namespaceOrThrow(namespace);
    const dep = this.engine.deployments.get(`${namespace}/${name}`);
    if (!dep) throw notFound('deployment', `${namespace}/${name}`);
    return dep;
  }

  private nodeOrThrow(name: string): NodeState {
    const node = this.engine.nodes.get(name);
    if (!node) throw notFound('node', name);
    return node;
  }
}

function nanocores(cores: number): string {
  return `${Math.max(0, Math.round(cores * 1e9))}n`;
}

function kibibytes(b: number): string {
  return `${Math.max(0, Math.round(b / 1024))}Ki`;
}

function applyLabels(target: Record<string, string>, changes: LabelChanges): void {
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete target[k];
    else target[k] = v;
  }
}

/** The containers with the requested resource changes applied, validated as the API server would. */
export function mergeResources(
  current: readonly ContainerState[],
  changes: ContainerResourcesMap,
  what: string,
): ContainerState[] {
  const asKube = current.map((c) => ({
    name: c.name,
    resources: { requests: { ...c.requests }, limits: { ...c.limits } },
  }));
  const { containers } = applyResourceChanges(asKube, changes, what);
  return containers.map((c, i) =>
    withNumbers({ name: c.name, image: current[i]!.image, requests: c.requests, limits: c.limits }),
  );
}
