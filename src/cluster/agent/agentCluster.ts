/**
 * ClusterClient over a cluster's agent (issue 13): every read is a signed query and every
 * change a signed action, carried by the Switchboard to the agent inside that cluster, which
 * makes the same call on its own KubeCluster and sends back what it returned. So the
 * controller, the API and the policies steer a remote cluster exactly as a local one, and the
 * same contract suite holds for it. Objects arrive as JSON: timestamps are strings, as
 * everything in qpilot already accepts.
 */
import { randomUUID } from 'node:crypto';
import type { NodeMetric, PodMetric, V1Deployment, V1Node, V1Pod } from '@kubernetes/client-node';
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
import { abortReason } from '../../core/clock.js';
import type { Autopilot, AutopilotStatus } from '../autopilot.js';
import type { Action, Query } from '../../core/protocol.js';
import { resultError, type Switchboard } from './switchboard.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface AgentClusterOptions {
  /** How long a read may take, the agent's round trip included (30 s). */
  queryTimeoutMs?: number;
  /** How long a change may take beyond its own timeout (60 s). */
  actionTimeoutMs?: number;
}

/** Only the options the protocol carries, so that an absent one stays absent. */
function listArgs(o: ListOptions = {}) {
  return {
    ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
    ...(o.fieldSelector ? { fieldSelector: o.fieldSelector } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
    ...(o.continue ? { continue: o.continue } : {}),
  };
}

export class AgentCluster implements ClusterClient {
  readonly kind = 'agent';

  constructor(
    private readonly switchboard: Pick<Switchboard, 'call'>,
    readonly clusterId: string,
    private readonly options: AgentClusterOptions = {},
  ) {}

  private async query<T>(
    q: DistributiveOmit<Query, 'id'>,
    timeoutMs = this.options.queryTimeoutMs ?? 30_000,
    signal?: AbortSignal,
  ): Promise<T> {
    const query = { ...q, id: randomUUID() } as Query;
    const r = await abortable(
      this.switchboard.call(this.clusterId, { kind: 'query', query }, timeoutMs),
      signal,
    );
    if (r.outcome !== 'succeeded') throw resultError(this.clusterId, r);
    return r.value as T;
  }

  private async act<T = undefined>(
    a: DistributiveOmit<Action, 'id'>,
    extraMs = 0,
    signal?: AbortSignal,
  ): Promise<T> {
    const action = { ...a, id: randomUUID() } as Action;
    const r = await abortable(
      this.switchboard.call(
        this.clusterId,
        { kind: 'action', action },
        (this.options.actionTimeoutMs ?? 60_000) + extraMs,
      ),
      signal,
    );
    if (r.outcome !== 'succeeded') throw resultError(this.clusterId, r);
    return r.value as T;
  }

  listNamespaces(): Promise<string[]> {
    return this.query({ op: 'listNamespaces' });
  }

  /** The cluster's Autopilots, listed by its agent (none without the CRD). */
  listAutopilots(): Promise<Autopilot[]> {
    return this.query({ op: 'listAutopilots' });
  }

  /** Writes an Autopilot's status through the agent (the status subresource). */
  async writeAutopilotStatus(
    namespace: string,
    name: string,
    status: AutopilotStatus,
  ): Promise<void> {
    await this.act({ type: 'autopilot_status', namespace, name, status: { ...status } });
  }

  listNodes(options?: Omit<ListOptions, 'namespace'>): Promise<Page<V1Node>> {
    return this.query({ op: 'listNodes', ...listArgs(options) });
  }

  getNode(name: string): Promise<V1Node> {
    return this.query({ op: 'getNode', name });
  }

  listPods(options?: ListOptions): Promise<Page<V1Pod>> {
    return this.query({
      op: 'listPods',
      ...(options?.namespace ? { namespace: options.namespace } : {}),
      ...listArgs(options),
    });
  }

  getPod(namespace: string, name: string): Promise<V1Pod> {
    return this.query({ op: 'getPod', namespace, name });
  }

  listWorkloads(options?: ListOptions): Promise<Page<V1Deployment>> {
    return this.query({
      op: 'listWorkloads',
      ...(options?.namespace ? { namespace: options.namespace } : {}),
      ...listArgs(options),
    });
  }

  getWorkload(namespace: string, name: string): Promise<V1Deployment> {
    return this.query({ op: 'getWorkload', namespace, name });
  }

  podMetrics(options?: { namespace?: string; labelSelector?: string }): Promise<PodMetric[]> {
    return this.query({
      op: 'podMetrics',
      ...(options?.namespace ? { namespace: options.namespace } : {}),
      ...(options?.labelSelector ? { labelSelector: options.labelSelector } : {}),
    });
  }

  nodeMetrics(): Promise<NodeMetric[]> {
    return this.query({ op: 'nodeMetrics' });
  }

  scaleWorkload(namespace: string, name: string, replicas: number): Promise<ScaleResult> {
    return this.act({ type: 'scale', namespace, name, replicas });
  }

  waitForWorkloadReady(
    namespace: string,
    name: string,
    replicas: number,
    options: WaitOptions,
  ): Promise<ReadyResult> {
    return this.query(
      {
        op: 'waitForWorkloadReady',
        namespace,
        name,
        replicas,
        timeoutMs: Math.max(1, Math.round(options.timeoutMs)),
        ...(options.pollIntervalMs
          ? { pollIntervalMs: Math.max(10, Math.round(options.pollIntervalMs)) }
          : {}),
      },
      options.timeoutMs + (this.options.queryTimeoutMs ?? 30_000),
      options.signal,
    );
  }

  resizePod(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
    options?: ResizeOptions,
  ): Promise<ResizeResult> {
    return this.act({
      type: 'resize',
      namespace,
      pod: name,
      containers,
      ...(options?.fallbackToTemplate ? { fallbackToTemplate: true } : {}),
    });
  }

  updateWorkloadResources(
    namespace: string,
    name: string,
    containers: ContainerResourcesMap,
  ): Promise<WorkloadUpdateResult> {
    return this.act({ type: 'update_resources', namespace, name, containers });
  }

  async evictPod(namespace: string, name: string): Promise<void> {
    await this.act({ type: 'evict', namespace, pod: name });
  }

  async deletePod(
    namespace: string,
    name: string,
    options?: { gracePeriodSeconds?: number },
  ): Promise<void> {
    await this.act({
      type: 'delete_pod',
      namespace,
      pod: name,
      ...(options?.gracePeriodSeconds !== undefined
        ? { gracePeriodSeconds: options.gracePeriodSeconds }
        : {}),
    });
  }

  async cordonNode(name: string): Promise<void> {
    await this.act({ type: 'cordon', node: name });
  }

  async uncordonNode(name: string): Promise<void> {
    await this.act({ type: 'uncordon', node: name });
  }

  drainNode(name: string, options: DrainOptions): Promise<DrainResult> {
    const timeoutSec = Math.min(3600, Math.max(1, Math.ceil(options.timeoutMs / 1000)));
    return this.act({ type: 'drain', node: name, timeoutSec }, timeoutSec * 1000, options.signal);
  }

  async label(target: ObjectRef, labels: LabelChanges): Promise<void> {
    await this.act({ type: 'label', target, labels });
  }

  async recordEvent(target: ObjectRef, event: ClusterEvent): Promise<void> {
    await this.act({ type: 'record_event', target, event });
  }
}

/** `p`, or the signal's reason when it aborts first (the agent's answer is then ignored). */
function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
