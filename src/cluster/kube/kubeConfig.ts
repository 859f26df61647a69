/**
 * Where KubeCluster's credentials come from, as seed 000 describes: the in-cluster service
 * account first, else a kubeconfig (`--kubeconfig`, else `KUBECONFIG`, else ~/.kube/config),
 * with `--context` choosing among its contexts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { QpError, invalidArgument } from '../../core/errors.js';

export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const SERVICE_ACCOUNT_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The namespace of this pod, from its service account, when running in one. */
export function serviceAccountNamespace(): string | undefined {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface KubeConnectionOptions {
  /** 'auto': in-cluster when the service account and KUBERNETES_SERVICE_HOST are there. */
  inCluster: 'auto' | 'true' | 'false';
  kubeconfigPath?: string;
  context?: string;
  /** The environment, passed in: only src/config reads process.env. */
  env: Record<string, string | undefined>;
  /** For tests: whether a file exists. */
  fileExists?: (path: string) => boolean;
}

export interface LoadedKubeConfig {
  kc: KubeConfig;
  /** Where the credentials came from, for the startup log and /health. */
  source: string;
  server: string;
}

export function runningInCluster(
  options: Pick<KubeConnectionOptions, 'env' | 'fileExists'>,
): boolean {
  const exists = options.fileExists ?? existsSync;
  return Boolean(options.env.KUBERNETES_SERVICE_HOST) && exists(SERVICE_ACCOUNT_TOKEN);
}

export function loadKubeConfig(options: KubeConnectionOptions): LoadedKubeConfig {
  const exists = options.fileExists ?? existsSync;
  const kc = new KubeConfig();
  let source: string;
  const wantCluster =
    options.inCluster === 'true' ||
    (options.inCluster === 'auto' && !options.kubeconfigPath && runningInCluster(options));
  if (wantCluster) {
    if (!runningInCluster(options)) {
      throw invalidArgument(
        `in-cluster configuration requested, but KUBERNETES_SERVICE_HOST is unset or ${SERVICE_ACCOUNT_TOKEN} is missing`,
      );
    }
    kc.loadFromCluster();
    source = 'in-cluster service account';
  } else {
    const fromEnv = options.env.KUBECONFIG?.split(':').find((p) => p.trim() !== '');
    const path =
      options.kubeconfigPath ?? fromEnv ?? join(options.env.HOME ?? homedir(), '.kube', 'config');
    if (!exists(path))
      throw invalidArgument(`kubeconfig ${path} does not exist (set --kubeconfig or KUBECONFIG)`);
    try {
      kc.loadFromFile(path);
    } catch (err) {
      throw invalidArgument(`kubeconfig ${path} cannot be read: ${(err as Error).message}`);
    }
    source = `kubeconfig ${path}`;
  }
  if (options.context) {
    if (!kc.getContexts().some((c) => c.name === options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw invalidArgument(
        `context "${options.context}" is not in the ${source} (it has ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(options.context);
    source += `, context ${options.context}`;
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster)
    throw new QpError('QP_ERR_INVALID_ARGUMENT', `the ${source} has no current cluster`);
  return { kc, source, server: cluster.server };
}
