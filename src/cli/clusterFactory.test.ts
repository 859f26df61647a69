import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type QpilotConfig } from '../config/config.js';
import { createCluster, resolveClusterKind } from './clusterFactory.js';

const config = (over: Partial<QpilotConfig>): QpilotConfig => ({ ...DEFAULT_CONFIG, ...over });

describe('resolveClusterKind', () => {
  it('uses the simulator unless there is reason to think a real cluster is meant', () => {
    expect(resolveClusterKind(config({}), {})).toBe('sim');
    // A KUBECONFIG in the environment alone does not switch `npm start` to a real cluster.
    expect(resolveClusterKind(config({}), { KUBECONFIG: '/home/me/.kube/config' })).toBe('sim');
  });

  it('uses a real cluster with --kubeconfig, --context or in-cluster credentials', () => {
    expect(resolveClusterKind(config({ kubeconfig: '/k' }), {})).toBe('kube');
    expect(resolveClusterKind(config({ context: 'prod' }), {})).toBe('kube');
    expect(resolveClusterKind(config({ inCluster: 'true' }), {})).toBe('kube');
  });

  it('obeys an explicit choice', () => {
    expect(resolveClusterKind(config({ cluster: 'sim', kubeconfig: '/k' }), {})).toBe('sim');
    expect(resolveClusterKind(config({ cluster: 'kube' }), {})).toBe('kube');
  });
});

describe('createCluster', () => {
  it('names a missing kubeconfig instead of failing later', async () => {
    await expect(
      createCluster(
        config({ kubeconfig: '/nonexistent/kubeconfig' }),
        { cwd: '/', env: {} },
        false,
      ),
    ).rejects.toThrow(
      'kubeconfig /nonexistent/kubeconfig does not exist (set --kubeconfig or KUBECONFIG)',
    );
  });

  it('describes the simulated cluster it builds', async () => {
    const setup = await createCluster(config({}), { cwd: '/', env: {} }, false);
    expect(setup.description).toBe('the simulated cluster "demo"');
    expect(setup.cluster.kind).toBe('sim');
  });
});
