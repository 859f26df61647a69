import type { ClusterClient } from '../../cluster/clusterClient.js';
import { notFound } from '../../core/errors.js';

/** Fails with a 404 naming the namespace when the cluster has no such namespace. */
export async function requireNamespace(
  cluster: Pick<ClusterClient, 'listNamespaces'>,
  namespace: string,
): Promise<void> {
  const namespaces = await cluster.listNamespaces();
  if (!namespaces.includes(namespace)) throw notFound('namespace', namespace);
}
