/**
 * The agent's actuator (seed 003's actuator.py): an action from the hub is carried out only if
 * its signature verifies (core/signing.ts) and this agent takes actions of its type; then it
 * goes to the cluster through ClusterClient, as any of qpilot's changes does. The hub's own
 * actuator recorded the decision before it sent the action (the agent is the far end of
 * AgentCluster); the agent answers with the action's id and what became of it.
 */
import type { ClusterClient } from '../cluster/clusterClient.js';
import type { Clock } from '../core/clock.js';
import { type Action, type ActionType, ACTION_TYPES } from '../core/protocol.js';
import { type Signature, SignatureVerifier } from '../core/signing.js';

export interface ActionResult {
  actionId: string;
  outcome: 'succeeded' | 'failed' | 'refused';
  message: string;
  finishedAtMs: number;
}

export interface ExecutorDeps {
  cluster: Pick<
    ClusterClient,
    | 'evictPod'
    | 'cordonNode'
    | 'uncordonNode'
    | 'drainNode'
    | 'scaleWorkload'
    | 'label'
    | 'resizePod'
  >;
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

  /** The action types this agent takes. */
  actions(): ActionType[] {
    return [...(this.deps.enabled ?? ACTION_TYPES)];
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
    log?.('info', `Executing action ${action.id}: ${describe(action)}`);
    try {
      const message = await this.run(action);
      return result('succeeded', message);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      log?.('warn', `Action ${action.id} failed: ${message}`);
      return result('failed', message);
    }
  }

  private async run(action: Action): Promise<string> {
    const c = this.deps.cluster;
    switch (action.type) {
      case 'evict':
        await c.evictPod(action.namespace, action.pod);
        return `evicted ${action.namespace}/${action.pod}`;
      case 'cordon':
        await c.cordonNode(action.node);
        return `cordoned ${action.node}`;
      case 'uncordon':
        await c.uncordonNode(action.node);
        return `uncordoned ${action.node}`;
      case 'drain': {
        const r = await c.drainNode(action.node, { timeoutMs: action.timeoutSec * 1000 });
        return `drained ${action.node}: ${r.evicted.length} pods evicted, ${r.skipped.length} left (DaemonSet or mirror)`;
      }
      case 'scale': {
        const r = await c.scaleWorkload(action.namespace, action.name, action.replicas);
        return `scaled ${action.namespace}/${action.name} from ${r.previousReplicas} to ${r.replicas}`;
      }
      case 'label':
        await c.label(action.target, action.labels);
        return `labelled ${action.target.kind} ${action.target.name}`;
      case 'resize': {
        const r = await c.resizePod(action.namespace, action.pod, action.containers);
        return `resized ${action.namespace}/${action.pod} (${r.method})`;
      }
    }
  }
}

function describe(a: Action): string {
  switch (a.type) {
    case 'evict':
    case 'resize':
      return `${a.type} ${a.namespace}/${a.pod}`;
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
