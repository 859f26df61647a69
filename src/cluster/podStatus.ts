/** How a pod looks to a person, as `kubectl get pods` prints it in the STATUS column. */
import type { V1Pod } from '@kubernetes/client-node';

export function podDisplayStatus(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return 'Terminating';
  if (pod.status?.reason) return pod.status.reason;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const waiting = cs.state?.waiting?.reason;
    if (waiting) return waiting;
    const terminated = cs.state?.terminated?.reason;
    if (terminated) return terminated;
  }
  return pod.status?.phase ?? 'Unknown';
}

/** Running and not being deleted: a pod that serves and whose resources count. */
export function isPodRunning(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp;
}

export function isPodReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The states seed 004 calls unsatisfactory: `POST /pod/confirm` removes pods in them. */
export const UNHEALTHY_POD_STATES = [
  'Pending',
  'CrashLoopBackOff',
  'ImagePullBackOff',
  'Terminating',
] as const;

export function isDaemonSetPod(pod: V1Pod): boolean {
  return pod.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet') ?? false;
}

export function isMirrorPod(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;
}
