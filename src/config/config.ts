/**
 * The only module that reads environment variables (ARCHITECTURE.md rule 2). Flags win over
 * the environment, the environment over defaults; every bad value is reported with the name
 * of the variable or flag that carried it.
 */
import { invalidArgument } from '../core/errors.js';

export interface QpilotConfig {
  /** HTTP port of `qpilot serve`. */
  port: number;
  /** Address to listen on; loopback unless told otherwise. */
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Namespaces whose pods qpilot watches (seed 002's `namespaces`). */
  namespaces: string[];
  /** The Deployment the seed 004 routes act on when the request names none. */
  targetNamespace: string;
  targetDeployment?: string;
  /** `demo`, or the path of a JSON scenario file for the simulated cluster. */
  scenario: string;
  /** How much faster than real time the simulated cluster runs under `serve`. */
  simSpeed: number;
  seed: string;
  /** How long a computed node report may be served again. */
  nodeReportTtlMs: number;
  /** Which cluster: the simulator, a real one, or `auto` (real when a kubeconfig or in-cluster credentials are given). */
  cluster: 'auto' | 'sim' | 'kube';
  /** A kubeconfig file; KUBECONFIG and ~/.kube/config are the fallbacks. */
  kubeconfig?: string;
  context?: string;
  /** Seed 002's KUBERNETES_IN_CLUSTER: use the pod's service account. */
  inCluster: 'auto' | 'true' | 'false';
  /** How long one Kubernetes API request may take. */
  kubeRequestTimeoutMs: number;
  /** An optional Prometheus for CPU, memory and latency (seed 000), e.g. http://prometheus:9090. */
  prometheusUrl?: string;
  /** Seed 002's MODEL_PATH: the directory holding dqn/ and dqn-vertical/ (the bundled models/ when absent). */
  modelPath?: string;
}

export const DEFAULT_CONFIG: QpilotConfig = {
  port: 8080,
  host: '127.0.0.1',
  logLevel: 'info',
  namespaces: ['default'],
  targetNamespace: 'default',
  scenario: 'demo',
  simSpeed: 1,
  seed: '1',
  nodeReportTtlMs: 1000,
  cluster: 'auto',
  inCluster: 'auto',
  kubeRequestTimeoutMs: 10_000,
};

/** Values as they arrive from flags (commander) or the environment: strings, or already typed. */
export type RawConfig = Partial<Record<keyof QpilotConfig, string | number | string[] | undefined>>;

const ENV_NAMES: Record<keyof QpilotConfig, string> = {
  port: 'PORT',
  host: 'HOST',
  logLevel: 'LOG_LEVEL',
  namespaces: 'NAMESPACES',
  targetNamespace: 'QPILOT_TARGET_NAMESPACE',
  targetDeployment: 'QPILOT_TARGET_DEPLOYMENT',
  scenario: 'QPILOT_SCENARIO',
  simSpeed: 'QPILOT_SIM_SPEED',
  seed: 'QPILOT_SEED',
  nodeReportTtlMs: 'QPILOT_NODE_REPORT_TTL_MS',
  cluster: 'QPILOT_CLUSTER',
  kubeconfig: 'QPILOT_KUBECONFIG',
  context: 'QPILOT_KUBE_CONTEXT',
  inCluster: 'KUBERNETES_IN_CLUSTER',
  kubeRequestTimeoutMs: 'QPILOT_KUBE_TIMEOUT_MS',
  prometheusUrl: 'PROMETHEUS_URL',
  modelPath: 'MODEL_PATH',
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function integer(value: string | number, source: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw invalidArgument(`${source} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function positive(value: string | number, source: string): number {
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isFinite(n) || n <= 0)
    throw invalidArgument(`${source} must be a number greater than 0, got "${value}"`);
  return n;
}

function dnsLabel(value: string, source: string): string {
  const v = value.trim();
  if (!DNS_LABEL.test(v) || v.length > 63)
    throw invalidArgument(`${source}: "${value}" is not a valid Kubernetes name`);
  return v;
}

function list(value: string | string[], source: string): string[] {
  const items = (Array.isArray(value) ? value : value.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw invalidArgument(`${source} must name at least one namespace`);
  return items.map((s) => dnsLabel(s, source));
}

function oneOf<T extends string>(value: string, source: string, allowed: readonly T[]): T {
  const v = value.trim();
  if (!(allowed as readonly string[]).includes(v))
    throw invalidArgument(`${source} must be one of ${allowed.join(', ')}, got "${value}"`);
  return v as T;
}

function httpUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalidArgument(`${source} must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidArgument(`${source} must be an http(s) URL, got "${value}"`);
  return url.toString().replace(/\/$/, '');
}

type Parser = (
  raw: string | number | string[],
  source: string,
  text: string,
) => Partial<QpilotConfig>;

const PARSERS: Record<keyof QpilotConfig, Parser> = {
  port: (raw, source) => ({ port: integer(raw as string | number, source, 0, 65535) }),
  nodeReportTtlMs: (raw, source) => ({
    nodeReportTtlMs: integer(raw as string | number, source, 0, 3_600_000),
  }),
  simSpeed: (raw, source) => ({ simSpeed: positive(raw as string | number, source) }),
  logLevel: (_raw, source, text) => {
    if (!(LOG_LEVELS as readonly string[]).includes(text)) {
      throw invalidArgument(`${source} must be one of ${LOG_LEVELS.join(', ')}, got "${text}"`);
    }
    return { logLevel: text as QpilotConfig['logLevel'] };
  },
  namespaces: (raw, source) => ({ namespaces: list(raw as string | string[], source) }),
  targetNamespace: (_raw, source, text) => ({ targetNamespace: dnsLabel(text, source) }),
  targetDeployment: (_raw, source, text) => ({ targetDeployment: dnsLabel(text, source) }),
  host: (_raw, _source, text) => ({ host: text.trim() }),
  scenario: (_raw, _source, text) => ({ scenario: text.trim() }),
  seed: (_raw, _source, text) => ({ seed: text.trim() }),
  cluster: (_raw, source, text) => ({
    cluster: oneOf(text, source, ['auto', 'sim', 'kube'] as const),
  }),
  kubeconfig: (_raw, _source, text) => ({ kubeconfig: text.trim() }),
  context: (_raw, _source, text) => ({ context: text.trim() }),
  inCluster: (_raw, source, text) => ({
    inCluster: oneOf(text.toLowerCase(), source, ['auto', 'true', 'false'] as const),
  }),
  kubeRequestTimeoutMs: (raw, source) => ({
    kubeRequestTimeoutMs: integer(raw as string | number, source, 100, 600_000),
  }),
  prometheusUrl: (_raw, source, text) => ({ prometheusUrl: httpUrl(text, source) }),
  modelPath: (_raw, _source, text) => ({ modelPath: text.trim() }),
};

/**
 * Builds the configuration from flags and environment variables. `flagNames` says how each
 * key is spelled on the command line, for error messages.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  flags: RawConfig = {},
  flagNames: Partial<Record<keyof QpilotConfig, string>> = {},
): QpilotConfig {
  let out: QpilotConfig = { ...DEFAULT_CONFIG, namespaces: [...DEFAULT_CONFIG.namespaces] };
  for (const key of Object.keys(ENV_NAMES) as (keyof QpilotConfig)[]) {
    const fromFlag = flags[key];
    const raw = fromFlag ?? env[ENV_NAMES[key]];
    if (raw === undefined || raw === '') continue;
    const source = fromFlag !== undefined ? (flagNames[key] ?? `--${key}`) : ENV_NAMES[key];
    const text = Array.isArray(raw) ? raw.join(',') : String(raw);
    out = { ...out, ...PARSERS[key](raw, source, text) };
  }
  return out;
}
