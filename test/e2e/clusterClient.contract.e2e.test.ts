/**
 * The ClusterClient contract against a real API server, with KubeCluster authenticated as the
 * ServiceAccount that deploy/rbac.yaml creates: the suite passing proves both that KubeCluster
 * behaves like the simulator and that the manifest's least privilege is enough.
 */
import { beforeAll } from 'vitest';
import { runClusterClientContract } from '../../src/cluster/testing/contract.js';
import {
  ROOT,
  createDeployment,
  createNamespace,
  createPdb,
  deleteNamespace,
  kubeCluster,
  kubectlOk,
  nodeNames,
  serviceAccountKubeconfig,
  sleep,
  uniqueName,
} from './lib/e2eEnv.js';

let saKubeconfig: string;

beforeAll(() => {
  kubectlOk(['apply', '-f', `${ROOT}/deploy/rbac.yaml`]);
  saKubeconfig = serviceAccountKubeconfig('qpilot-system', 'qpilot');
});

runClusterClientContract('KubeCluster (as the qpilot ServiceAccount)', async () => {
  const namespace = uniqueName('contract');
  await createNamespace(namespace);
  return {
    client: kubeCluster(saKubeconfig),
    namespace,
    nodes: nodeNames(),
    createDeployment: (spec) =>
      createDeployment({ namespace, ...spec, usageCpu: '50m', usageMemory: '40Mi' }),
    createPdb: (spec) => createPdb(namespace, spec),
    settle: (p) => p,
    elapse: (ms) => sleep(ms),
    metricsDelayMs: 90_000,
    readyTimeoutMs: 90_000,
    dispose: () => deleteNamespace(namespace),
  };
});
