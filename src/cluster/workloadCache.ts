/**
 * The Deployments and pods of a namespace as a watch last saw them (client-go's shared
 * informer cache). A control-loop cycle reads its snapshot from here instead of listing every
 * namespace every cycle, so that the requests it makes do not grow with the workloads
 * (ADR 14). A cache that is not in sync answers nothing, and the caller lists.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';

export interface WorkloadCache {
  /** The namespace's Deployments and pods, or undefined while the cache is out of sync. */
  namespace(namespace: string): { deployments: V1Deployment[]; pods: V1Pod[] } | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}
