/** What the end-to-end suites know about the cluster test/e2e/run.sh started, and tools to drive it. */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PolicyV1Api,
  loadAllYaml,
} from '@kubernetes/client-node';
import { KubeCluster } from '../../../src/cluster/kube/kubeCluster.js';
import { RealClock } from '../../../src/core/clock.js';
import type { ClusterClient } from '../../../src/cluster/clusterClient.js';
import type { ContractHarness } from '../../../src/cluster/testing/contract.js';

export interface E2eEnv {
  name: string;
  workdir: string;
  bin: string;
  kubeconfig: string;
  kwokctlConfig: string;
  nodes: number;
}

let cached: E2eEnv | undefined;

export function e2eEnv(): E2eEnv {
  if (cached) return cached;
  const path = process.env.QPILOT_E2E_ENV;
  if (!path)
    throw new Error('QPILOT_E2E_ENV is not set: run the end-to-end suites with `npm run test:e2e`');
  cached = JSON.parse(readFileSync(path, 'utf8')) as E2eEnv;
  return cached;
}

export const ROOT = join(import.meta.dirname, '..', '..', '..');

export function kubectl(
  args: string[],
  options: { input?: string; kubeconfig?: string } = {},
): SpawnSyncReturns<string> {
  const env = e2eEnv();
  return spawnSync(
    join(env.bin, 'kubectl'),
    ['--kubeconfig', options.kubeconfig ?? env.kubeconfig, ...args],
    {
      encoding: 'utf8',
      input: options.input,
      maxBuffer: 512 * 1024 * 1024,
    },
  );
}

/** kubectl that must succeed; returns its standard output. */
export function kubectlOk(
  args: string[],
  options: { input?: string; kubeconfig?: string } = {},
): string {
  const r = kubectl(args, options);
  if (r.status !== 0)
    throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function kwokctl(args: string[]): string {
  const env = e2eEnv();
  const r = spawnSync(
    join(env.bin, 'kwokctl'),
    ['-c', env.kwokctlConfig, '--name', env.name, ...args],
    {
      encoding: 'utf8',
      env: { ...process.env, KWOK_WORKDIR: env.workdir, PATH: `${env.bin}:${process.env.PATH}` },
    },
  );
  if (r.status !== 0) throw new Error(`kwokctl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export function adminConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(e2eEnv().kubeconfig);
  return kc;
}

/** client-node APIs as the cluster admin, for fixtures: what a test sets up is not under test. */
export function adminApis() {
  const kc = adminConfig();
  return {
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
  };
}

export function kubeCluster(kubeconfigPath: string, requestTimeoutMs = 10_000): KubeCluster {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return new KubeCluster(kc, new RealClock(), { requestTimeoutMs });
}

/** A kubeconfig that authenticates as a ServiceAccount (a token from the TokenRequest API). */
export function serviceAccountKubeconfig(namespace: string, serviceAccount: string): string {
  const env = e2eEnv();
  const token = kubectlOk([
    'create',
    'token',
    serviceAccount,
    '-n',
    namespace,
    '--duration',
    '2h',
  ]).trim();
  const admin = adminConfig().getCurrentCluster()!;
  const path = join(env.workdir, `kubeconfig-${namespace}-${serviceAccount}`);
  writeFileSync(
    path,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: e2e`,
      `  cluster: { server: "${admin.server}", certificate-authority: "${admin.caFile}" }`,
      'users:',
      `- name: ${serviceAccount}`,
      `  user: { token: "${token}" }`,
      'contexts:',
      `- name: ${serviceAccount}`,
      `  context: { cluster: e2e, user: ${serviceAccount} }`,
      `current-context: ${serviceAccount}`,
      '',
    ].join('\n'),
  );
  return path;
}

export function nodeNames(): string[] {
  return kubectlOk(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])
    .trim()
    .split(/\s+/)
    .filter(Boolean);
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      );
    await sleep(everyMs);
  }
}

export interface E2eDeployment {
  namespace: string;
  name: string;
  replicas: number;
  cpuRequest: string;
  memoryRequest: string;
  cpuLimit?: string;
  memoryLimit?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** What the kwok controller reports as the pod's usage (metrics.k8s.io and /metrics/resource). */
  usageCpu?: string;
  usageMemory?: string;
}

export async function createDeployment(d: E2eDeployment): Promise<void> {
  const labels = d.labels ?? { app: d.name };
  const resources: { requests: Record<string, string>; limits?: Record<string, string> } = {
    requests: { cpu: d.cpuRequest, memory: d.memoryRequest },
  };
  if (d.cpuLimit || d.memoryLimit) {
    resources.limits = {};
    if (d.cpuLimit) resources.limits.cpu = d.cpuLimit;
    if (d.memoryLimit) resources.limits.memory = d.memoryLimit;
  }
  await adminApis().apps.createNamespacedDeployment({
    namespace: d.namespace,
    body: {
      metadata: { name: d.name, labels, annotations: d.annotations },
      spec: {
        replicas: d.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels,
            annotations: {
              'kwok.x-k8s.io/usage-cpu': d.usageCpu ?? '50m',
              'kwok.x-k8s.io/usage-memory': d.usageMemory ?? '32Mi',
            },
          },
          spec: {
            containers: [{ name: 'app', image: 'registry.example/app:1.0', resources }],
            // Nodes without kubelets: tolerate kwok's taint if any, and never pull images.
            tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
          },
        },
      },
    },
  });
}

/** A PodDisruptionBudget over pods with `matchLabels` (the contract suite's fixture). */
export async function createPdb(
  namespace: string,
  spec: {
    name: string;
    matchLabels: Record<string, string>;
    minAvailable?: number;
    maxUnavailable?: number;
  },
): Promise<void> {
  await adminApis().policy.createNamespacedPodDisruptionBudget({
    namespace,
    body: {
      metadata: { name: spec.name },
      spec: {
        selector: { matchLabels: spec.matchLabels },
        ...(spec.minAvailable !== undefined ? { minAvailable: spec.minAvailable } : {}),
        ...(spec.maxUnavailable !== undefined ? { maxUnavailable: spec.maxUnavailable } : {}),
      },
    },
  });
}

export async function createNamespace(name: string): Promise<void> {
  await adminApis().core.createNamespace({ body: { metadata: { name } } });
}

export async function deleteNamespace(name: string): Promise<void> {
  await adminApis()
    .core.deleteNamespace({ name })
    .catch(() => undefined);
}

export interface KwokComponent {
  name: string;
  binary: string;
  args: string[];
  workDir: string;
  ports?: { name: string; port: number }[];
}

/** A component of the running cluster, as kwokctl recorded how it started it. */
export function component(name: string): KwokComponent {
  const env = e2eEnv();
  const text = readFileSync(join(env.workdir, 'clusters', env.name, 'kwok.yaml'), 'utf8');
  const docs = loadAllYaml(text) as { kind?: string; components?: KwokComponent[] }[];
  const conf = docs.find((d) => d.kind === 'KwokctlConfiguration');
  const found = conf?.components?.find((c) => c.name === name);
  if (!found) throw new Error(`no component ${name} in the cluster's kwok.yaml`);
  return found;
}

export function componentPidFile(name: string): string {
  const env = e2eEnv();
  return join(env.workdir, 'clusters', env.name, 'pids', `${name}.pid`);
}

/** Installs the Autopilot CRD (deploy/crds/) and waits until the API server serves it. */
export function installAutopilotCrd(): void {
  kubectlOk([
    'apply',
    '--server-side',
    '-f',
    join(ROOT, 'deploy', 'crds', 'autopilots.qpilot.io.yaml'),
  ]);
  kubectlOk([
    'wait',
    '--for',
    'condition=Established',
    'crd/autopilots.qpilot.io',
    '--timeout=60s',
  ]);
}

/**
 * The contract suite's harness on the real control plane, for `client` (KubeCluster, or
 * AgentCluster through an agent), in a fresh namespace; `dispose` runs before it is deleted.
 */
export async function controlPlaneHarness(
  prefix: string,
  client: ClusterClient,
  dispose: () => Promise<void> = () => Promise.resolve(),
  namespace = uniqueName(prefix),
): Promise<ContractHarness> {
  await createNamespace(namespace);
  return {
    client,
    namespace,
    nodes: nodeNames(),
    createDeployment: (spec) =>
      createDeployment({ namespace, ...spec, usageCpu: '50m', usageMemory: '40Mi' }),
    createPdb: (spec) => createPdb(namespace, spec),
    settle: (p) => p,
    elapse: (ms) => sleep(ms),
    metricsDelayMs: 90_000,
    readyTimeoutMs: 90_000,
    dispose: async () => {
      await dispose();
      await deleteNamespace(namespace);
    },
  };
}
