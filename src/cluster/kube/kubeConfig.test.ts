import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVICE_ACCOUNT_TOKEN, loadKubeConfig, runningInCluster } from './kubeConfig.js';

function kubeconfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qpilot-kc-'));
  const path = join(dir, 'config');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: { server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true }
- name: two
  cluster: { server: "https://127.0.0.1:7443", insecure-skip-tls-verify: true }
users:
- name: u
  user: { token: abc }
contexts:
- name: first
  context: { cluster: one, user: u }
- name: second
  context: { cluster: two, user: u }
current-context: first
`,
  );
  return path;
}

describe('loadKubeConfig', () => {
  it('reads --kubeconfig and switches --context', () => {
    const path = kubeconfig();
    expect(loadKubeConfig({ inCluster: 'auto', kubeconfigPath: path, env: {} })).toMatchObject({
      server: 'https://127.0.0.1:6443',
      source: `kubeconfig ${path}`,
    });
    expect(
      loadKubeConfig({ inCluster: 'auto', kubeconfigPath: path, context: 'second', env: {} })
        .server,
    ).toBe('https://127.0.0.1:7443');
  });

  it('falls back to KUBECONFIG, then to ~/.kube/config', () => {
    const path = kubeconfig();
    expect(
      loadKubeConfig({ inCluster: 'false', env: { KUBECONFIG: `${path}:/other` } }).source,
    ).toBe(`kubeconfig ${path}`);
    expect(() =>
      loadKubeConfig({ inCluster: 'false', env: { HOME: '/nonexistent-home' } }),
    ).toThrow(
      'kubeconfig /nonexistent-home/.kube/config does not exist (set --kubeconfig or KUBECONFIG)',
    );
  });

  it('names an unknown context and the ones there are', () => {
    expect(() =>
      loadKubeConfig({
        inCluster: 'auto',
        kubeconfigPath: kubeconfig(),
        context: 'third',
        env: {},
      }),
    ).toThrow(/context "third" is not in the kubeconfig .* \(it has first, second\)/);
  });

  it('prefers the in-cluster service account when it is there', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(runningInCluster({ env, fileExists: (p) => p === SERVICE_ACCOUNT_TOKEN })).toBe(true);
    expect(runningInCluster({ env: {}, fileExists: () => true })).toBe(false);
    expect(() => loadKubeConfig({ inCluster: 'true', env: {}, fileExists: () => false })).toThrow(
      /in-cluster configuration requested/,
    );
  });
});
