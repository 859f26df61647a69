/**
 * Operations built from ClusterClient primitives, shared by every implementation so that
 * verification and draining behave the same on the simulator and on a real cluster.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../core/clock.js';
import { QpError, invalidArgument, isQpError } from '../core/errors.js';
import {
  type ClusterClient,
  type DrainOptions,
  type DrainResult,
  type ReadyResult,
  type WaitOptions,
  listAll,
} from './clusterClient.js';
import { isDaemonSetPod, isMirrorPod } from './podStatus.js';

const DEFAULT_POLL_MS = 1000;

/**
 * Polls the Deployment until it has exactly `replicas` pods, all Ready and all from the
 * current template (and the controller has seen the latest spec), or fails with QP_ERR_TIMEOUT saying how far it got.
 */
export async function waitForWorkloadReady(
  client: Pick<ClusterClient, 'getWorkload'>,
  clock: Clock,
  namespace: string,
  name: string,
  replicas: number,
  options: WaitOptions,
): Promise<ReadyResult> {
  const startMs = clock.now();
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  for (;;) {
    let dep: V1Deployment;
    try {
      dep = await client.getWorkload(namespace, name);
    } catch (err) {
      // A blip of the API server is not the end of a verification: look again until the deadline.
      if (!isQpError(err, 'QP_ERR_UNAVAILABLE') || clock.now() - startMs >= options.timeoutMs)
        throw err;
      await clock.sleep(pollMs, options.signal);
      continue;
    }
    const status = dep.status ?? {};
    const ready = status.readyReplicas ?? 0;
    const total = status.replicas ?? 0;
    // A rollout in progress is not done until every pod runs the current template.
    const updated = status.updatedReplicas ?? total;
    const observed = (status.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0);
    const waitedMs = clock.now() - startMs;
    if (observed && ready >= replicas && total <= replicas && updated >= replicas) {
      return { namespace, name, replicas, readyReplicas: ready, waitedMs };
    }
    if (waitedMs >= options.timeoutMs) {
      throw new QpError(
        'QP_ERR_TIMEOUT',
        `deployment ${namespace}/${name} has ${ready}/${replicas} pods ready (${total} pods in all) after ${options.timeoutMs} ms`,
        {
          namespace,
          name,
          replicas,
          readyReplicas: ready,
          totalReplicas: total,
          timeoutMs: options.timeoutMs,
        },
      );
    }
    await clock.sleep(Math.min(pollMs, options.timeoutMs - waitedMs), options.signal);
  }
}

export interface SafeScaleOptions extends WaitOptions {
  minReplicas: number;
  maxReplicas: number;
}

export interface SafeScaleResult extends ReadyResult {
  previousReplicas: number;
  /** What was asked for, before the bounds. */
  requestedReplicas: number;
  /** True when the bounds changed the request. */
  clamped: boolean;
}

/**
 * Seed 000's safe scale: the target is held within [min, max], set through the scale
 * subresource, and verified: it resolves once the Deployment is Ready at the target and
 * fails with QP_ERR_TIMEOUT otherwise.
 */
export async function safeScale(
  client: Pick<ClusterClient, 'scaleWorkload' | 'waitForWorkloadReady'>,
  namespace: string,
  name: string,
  requestedReplicas: number,
  options: SafeScaleOptions,
): Promise<SafeScaleResult> {
  const { minReplicas, maxReplicas } = options;
  if (!Number.isInteger(requestedReplicas))
    throw invalidArgument(`replicas must be an integer, got ${requestedReplicas}`);
  if (
    !Number.isInteger(minReplicas) ||
    !Number.isInteger(maxReplicas) ||
    minReplicas < 0 ||
    maxReplicas < minReplicas
  ) {
    throw invalidArgument(
      `replica bounds must be integers with 0 <= min <= max, got [${minReplicas}, ${maxReplicas}]`,
    );
  }
  const replicas = Math.min(maxReplicas, Math.max(minReplicas, requestedReplicas));
  const scaled = await client.scaleWorkload(namespace, name, replicas);
  const ready = await client.waitForWorkloadReady(namespace, name, replicas, options);
  return {
    ...ready,
    previousReplicas: scaled.previousReplicas,
    requestedReplicas,
    clamped: replicas !== requestedReplicas,
  };
}

/**
 * Drains a node the way `kubectl drain` does: cordon it, leave DaemonSet and mirror pods
 * alone, evict the rest through the Eviction API (so PodDisruptionBudgets are honoured),
 * retry evictions a budget refused, and wait until the evicted pods are gone.
 */
export async function drainNode(
  client: Pick<ClusterClient, 'cordonNode' | 'listPods' | 'evictPod'>,
  clock: Clock,
  node: string,
  options: DrainOptions,
): Promise<DrainResult> {
  await client.cordonNode(node);
  const startMs = clock.now();
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  const state: DrainState = { evicted: new Set(), skipped: [], lastRefusal: '' };
  for (;;) {
    const pods = await listAll((o) => client.listPods(o), {
      fieldSelector: `spec.nodeName=${node},status.phase!=Failed,status.phase!=Succeeded`,
      limit: 100,
    });
    const remaining = await evictRound(client, pods, state);
    if (remaining.length === 0)
      return { node, evicted: [...state.evicted], skipped: state.skipped };
    const waitedMs = clock.now() - startMs;
    if (waitedMs >= options.timeoutMs) {
      throw new QpError(
        'QP_ERR_TIMEOUT',
        `drain of node ${node} gave up after ${options.timeoutMs} ms with ${remaining.length} pods left (${remaining.join(', ')})` +
          (state.lastRefusal ? `; last refusal: ${state.lastRefusal}` : ''),
        { node, remaining, evicted: [...state.evicted] },
      );
    }
    await clock.sleep(Math.min(pollMs, options.timeoutMs - waitedMs), options.signal);
  }
}

interface DrainState {
  evicted: Set<string>;
  skipped: DrainResult['skipped'];
  lastRefusal: string;
}

/** One pass over the node's pods: evicts what may go; returns the pods still there. */
async function evictRound(
  client: Pick<ClusterClient, 'evictPod'>,
  pods: V1Pod[],
  state: DrainState,
): Promise<string[]> {
  const remaining: string[] = [];
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? 'default';
    const name = pod.metadata?.name ?? '';
    const key = `${ns}/${name}`;
    if (isDaemonSetPod(pod) || isMirrorPod(pod)) {
      if (!state.skipped.some((s) => s.pod === key))
        state.skipped.push({ pod: key, reason: isMirrorPod(pod) ? 'mirror' : 'daemonset' });
      continue;
    }
    remaining.push(key);
    if (pod.metadata?.deletionTimestamp) continue;
    try {
      await client.evictPod(ns, name);
      state.evicted.add(key);
    } catch (err) {
      // A budget refusal, or a pod whose namespace is being deleted, is tried again next round.
      if (isQpError(err, 'QP_ERR_DISRUPTION_BUDGET') || isQpError(err, 'QP_ERR_CONFLICT'))
        state.lastRefusal = err.message;
      else if (!isQpError(err, 'QP_ERR_NOT_FOUND')) throw err;
    }
  }
  return remaining;
}
