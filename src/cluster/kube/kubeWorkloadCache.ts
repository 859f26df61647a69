/**
 * WorkloadCache over a real API server: one watch on every Deployment and one on every pod,
 * across namespaces (qpilot's namespaces can change at run time, and its ClusterRole already
 * lists both cluster-wide).
 */
import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import type { WorkloadCache } from '../workloadCache.js';
import { kubeApiConfiguration } from './kubeCluster.js';
import { WatchedList } from './watchedList.js';

export class KubeWorkloadCache implements WorkloadCache {
  private readonly deployments: WatchedList<V1Deployment>;
  private readonly pods: WatchedList<V1Pod>;

  constructor(
    kc: KubeConfig,
    options: { requestTimeoutMs: number; onError?: (err: unknown) => void },
  ) {
    // A first listing of a large cluster takes longer than one ordinary request.
    const configuration = kubeApiConfiguration(kc, Math.max(60_000, options.requestTimeoutMs));
    const apps = new AppsV1Api(configuration);
    const core = new CoreV1Api(configuration);
    this.deployments = new WatchedList(kc, {
      path: '/apis/apps/v1/deployments',
      list: () => apps.listDeploymentForAllNamespaces(),
      onError: options.onError,
    });
    this.pods = new WatchedList(kc, {
      path: '/api/v1/pods',
      list: () => core.listPodForAllNamespaces(),
      onError: options.onError,
    });
  }

  namespace(namespace: string) {
    const deployments = this.deployments.list(namespace);
    const pods = this.pods.list(namespace);
    if (!deployments || !pods) return undefined;
    return { deployments: [...deployments], pods: [...pods] };
  }

  async start(): Promise<void> {
    await Promise.all([this.deployments.start(), this.pods.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.deployments.stop(), this.pods.stop()]);
  }
}
