/**
 * The agent's actuator (seed 003's actuator.py): an action from the hub is carried out only if
 * its signature verifies (core/signing.ts) and this agent takes actions of its type; then it
 * goes to the cluster through ClusterClient, as any of qpilot's changes does. The hub's own
 * actuator recorded the decision before it sent the action (the agent is the far end of
 * AgentCluster); the agent answers with the action's id and what became of it.
 */
import type { AutopilotCalls } from '../cluster/autopilot.js';
import type { ClusterClient } from '../cluster/clusterClient.js';
import type { Clock } from '../core/clock.js';
import { QpError, isQpError } from '../core/errors.js';
import {
  type Action,
  type ActionType,
  ACTION_TYPES,
  type CallResult,
  type Query,
} from '../core/protocol.js';
import { type Signature, SignatureVerifier } from '../core/signing.js';

/** What an action or a query came to, as the agent reports it (the protocol's `result`). */
export type ActionResult = CallResult;

export interface ExecutorDeps {
  cluster: ClusterClient;
  /** The cluster's Autopilots, for the hub's Autopilot controller (absent: none can be read). */
  autopilots?: AutopilotCalls;
  clock: Clock;
  secretKey: string;
  /** The action types this agent takes (its RBAC may allow fewer); all when absent. */
  enabled?: readonly ActionType[];
  maxSkewMs?: number;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export class ActionExecutor {
  private readonly verifier: SignatureVerifier;

  constructor(private readonly deps: ExecutorDeps) {
    this.verifier = new SignatureVerifier(deps.secretKey, { maxSkewMs: deps.maxSkewMs });
  }

  /** The action types this agent takes: without an Autopilot client, never autopilot_status. */
  actions(): ActionType[] {
    return (this.deps.enabled ?? ACTION_TYPES).filter(
      (t) => t !== 'autopilot_status' || this.deps.autopilots !== undefined,
    );
  }

  async execute(action: Action, signature: Signature): Promise<ActionResult> {
    const { clock, log } = this.deps;
    const result = (outcome: ActionResult['outcome'], message: string): ActionResult => ({
      actionId: action.id,
      outcome,
      message,
      finishedAtMs: clock.now(),
    });
    const check = this.verifier.verify(action, signature, clock.now());
    if (!check.ok) {
      log?.(
        'warn',
        `Refused action ${action.id} (${action.type}): signature check failed, ${check.reason}: ${check.message}`,
      );
      return result('refused', `${check.reason}: ${check.message}`);
    }
    if (!this.actions().includes(action.type)) {
      log?.('warn', `Refused action ${action.id}: ${action.type} is not enabled on this agent`);
      return result('refused', `${action.type} is not enabled on this agent`);
    }
    // Events are qpilot's own notes, not changes worth a log line each.
    if (action.type !== 'record_event')
      log?.('info', `Executing action ${action.id}: ${describe(action)}`);
    try {
      const { message, value } = await this.run(action);
      return { ...result('succeeded', message), ...(value === undefined ? {} : { value }) };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log?.('warn', `Action ${action.id} failed: ${message}`);
      return { ...result('failed', message), ...(isQpError(err) ? { code: err.code } : {}) };
    }
  }

  /**
   * Answers a read of the hub's AgentCluster. Signed like an action, so that the agent answers
   * only its own hub; reads need no enabling (the agent's ClusterRole grants them).
   */
  async query(query: Query, signature: Signature): Promise<ActionResult> {
    const { clock, log } = this.deps;
    const done = (r: Omit<ActionResult, 'actionId' | 'finishedAtMs'>): ActionResult => ({
      actionId: query.id,
      finishedAtMs: clock.now(),
      ...r,
    });
    const check = this.verifier.verify(query, signature, clock.now());
    if (!check.ok) {
      log?.(
        'warn',
        `Refused query ${query.id} (${query.op}): signature check failed, ${check.reason}: ${check.message}`,
      );
      return done({ outcome: 'refused', message: `${check.reason}: ${check.message}` });
    }
    try {
      return done({ outcome: 'succeeded', message: query.op, value: await this.read(query) });
    } catch (err) {
      return done({
        outcome: 'failed',
        message: err instanceof Error ? err.message : String(err),
        ...(isQpError(err) ? { code: err.code } : {}),
      });
    }
  }

  private read(q: Query): Promise<unknown> {
    const c = this.deps.cluster;
    const list = (o: {
      labelSelector?: string;
      fieldSelector?: string;
      limit?: number;
      continue?: string;
    }) => ({
      ...(o.labelSelector !== undefined ? { labelSelector: o.labelSelector } : {}),
      ...(o.fieldSelector !== undefined ? { fieldSelector: o.fieldSelector } : {}),
      ...(o.limit !== undefined ? { limit: o.limit } : {}),
      ...(o.continue !== undefined ? { continue: o.continue } : {}),
    });
    switch (q.op) {
      case 'listNamespaces':
        return c.listNamespaces();
      case 'listAutopilots':
        return this.autopilotCalls().list();
      case 'nodeMetrics':
        return c.nodeMetrics();
      case 'listNodes':
        return c.listNodes(list(q));
      case 'listPods':
        return c.listPods({ ...list(q), ...(q.namespace ? { namespace: q.namespace } : {}) });
      case 'listWorkloads':
        return c.listWorkloads({ ...list(q), ...(q.namespace ? { namespace: q.namespace } : {}) });
      case 'getNode':
        return c.getNode(q.name);
      case 'getPod':
        return c.getPod(q.namespace, q.name);
      case 'getWorkload':
        return c.getWorkload(q.namespace, q.name);
      case 'podMetrics':
        return c.podMetrics({
          ...(q.namespace ? { namespace: q.namespace } : {}),
          ...(q.labelSelector ? { labelSelector: q.labelSelector } : {}),
        });
      case 'waitForWorkloadReady':
        return c.waitForWorkloadReady(q.namespace, q.name, q.replicas, {
          timeoutMs: q.timeoutMs,
          ...(q.pollIntervalMs ? { pollIntervalMs: q.pollIntervalMs } : {}),
        });
    }
  }

  private async run(action: Action): Promise<{ message: string; value?: unknown }> {
    const c = this.deps.cluster;
    switch (action.type) {
      case 'evict':
        await c.evictPod(action.namespace, action.pod);
        return { message: `evicted ${action.namespace}/${action.pod}` };
      case 'cordon':
        await c.cordonNode(action.node);
        return { message: `cordoned ${action.node}` };
      case 'uncordon':
        await c.uncordonNode(action.node);
        return { message: `uncordoned ${action.node}` };
      case 'drain': {
        const r = await c.drainNode(action.node, { timeoutMs: action.timeoutSec * 1000 });
        return {
          message: `drained ${action.node}: ${r.evicted.length} pods evicted, ${r.skipped.length} left (DaemonSet or mirror)`,
          value: r,
        };
      }
      case 'scale': {
        const r = await c.scaleWorkload(action.namespace, action.name, action.replicas);
        return {
          message: `scaled ${action.namespace}/${action.name} from ${r.previousReplicas} to ${r.replicas}`,
          value: r,
        };
      }
      case 'label':
        await c.label(action.target, action.labels);
        return { message: `labelled ${action.target.kind} ${action.target.name}` };
      case 'resize': {
        const r = await c.resizePod(
          action.namespace,
          action.pod,
          action.containers,
          action.fallbackToTemplate ? { fallbackToTemplate: true } : {},
        );
        return { message: `resized ${action.namespace}/${action.pod} (${r.method})`, value: r };
      }
      case 'update_resources': {
        const r = await c.updateWorkloadResources(action.namespace, action.name, action.containers);
        return { message: `updated the resources of ${action.namespace}/${action.name}`, value: r };
      }
      case 'delete_pod':
        await c.deletePod(
          action.namespace,
          action.pod,
          action.gracePeriodSeconds === undefined
            ? undefined
            : { gracePeriodSeconds: action.gracePeriodSeconds },
        );
        return { message: `deleted ${action.namespace}/${action.pod}` };
      case 'record_event':
        await c.recordEvent(action.target, action.event);
        return {
          message: `recorded ${action.event.reason} on ${action.target.kind} ${action.target.name}`,
        };
      case 'autopilot_status':
        await this.autopilotCalls().writeStatus(action.namespace, action.name, action.status);
        return { message: `wrote the status of Autopilot ${action.namespace}/${action.name}` };
    }
  }

  private autopilotCalls(): AutopilotCalls {
    const a = this.deps.autopilots;
    if (!a)
      throw new QpError('QP_ERR_UNAVAILABLE', 'this agent does not read Autopilots (no client)');
    return a;
  }
}

function describe(a: Action): string {
  switch (a.type) {
    case 'evict':
    case 'resize':
    case 'delete_pod':
      return `${a.type} ${a.namespace}/${a.pod}`;
    case 'update_resources':
      return `update_resources ${a.namespace}/${a.name}`;
    case 'autopilot_status':
      return `autopilot_status ${a.namespace}/${a.name}`;
    case 'record_event':
      return `record_event ${a.event.reason}`;
    case 'cordon':
    case 'uncordon':
    case 'drain':
      return `${a.type} ${a.node}`;
    case 'scale':
      return `scale ${a.namespace}/${a.name} to ${a.replicas}`;
    case 'label':
      return `label ${a.target.kind} ${a.target.name}`;
  }
}
