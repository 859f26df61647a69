import type { V1Deployment, V1Pod } from '@kubernetes/client-node';

/**
 * The name of the Deployment that probably owns a pod: its controlling ReplicaSet's name less
 * the pod-template-hash suffix. Confirm with `podMatchesDeployment`; reading the name this way
 * needs no permission on ReplicaSets.
 */
export function deploymentNameOfPod(pod: V1Pod): string | undefined {
  const rs = pod.metadata?.ownerReferences?.find((o) => o.kind === 'ReplicaSet' && o.controller);
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (!rs || !hash || !rs.name.endsWith(`-${hash}`)) return undefined;
  return rs.name.slice(0, -(hash.length + 1));
}

/** Whether the Deployment's selector selects the pod. */
export function podMatchesDeployment(pod: V1Pod, dep: V1Deployment): boolean {
  const match = dep.spec?.selector?.matchLabels ?? {};
  return Object.entries(match).every(([k, v]) => pod.metadata?.labels?.[k] === v);
}
