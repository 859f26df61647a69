/**
 * The ClusterClient contract against a real API server, with KubeCluster authenticated as the
 * ServiceAccount that deploy/rbac.yaml creates: the suite passing proves both that KubeCluster
 * behaves like the simulator and that the manifest's least privilege is enough.
 */
import { beforeAll } from 'vitest';
import { runClusterClientContract } from '../../src/cluster/testing/contract.js';
import {
  ROOT,
  controlPlaneHarness,
  kubeCluster,
  kubectlOk,
  serviceAccountKubeconfig,
} from './lib/e2eEnv.js';

let saKubeconfig: string;

beforeAll(() => {
  kubectlOk(['apply', '-f', `${ROOT}/deploy/rbac.yaml`]);
  saKubeconfig = serviceAccountKubeconfig('qpilot-system', 'qpilot');
});

runClusterClientContract('KubeCluster (as the qpilot ServiceAccount)', () =>
  controlPlaneHarness('contract', kubeCluster(saKubeconfig)),
);
