/**
 * The only module that reads environment variables (ARCHITECTURE.md rule 2). Flags win over
 * the environment, the environment over defaults; every bad value is reported with the name
 * of the variable or flag that carried it.
 */
import { invalidArgument } from '../core/errors.js';

export interface QpilotConfig {
  /** HTTP port of `qpilot serve`. */
  port: number;
  /** Address to listen on; empty: loopback outside a cluster, every interface in a pod. */
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
  cluster: 'auto' | 'sim' | 'kube' | 'agent';
  /** With `cluster: agent`: the registered cluster whose agent `serve` steers it through (issue 13). */
  agentCluster?: string;
  /** How long the hub keeps the batches its agents sent. */
  ingestRetentionHours: number;
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
  /** Seed 002's DRY_RUN: decide and record, never act. On by default, as in the seed. */
  dryRun: boolean;
  /** Seed 002's AUTO_SCALE_ENABLED: run the control loop from start-up. */
  autoScaleEnabled: boolean;
  /** Seed 002's AUTO_SCALE_INTERVAL, in seconds. */
  autoScaleIntervalSec: number;
  /** Seed 002's EXCLUDED_DEPLOYMENTS. */
  excludedDeployments: string[];
  /** Seed 002's scaling_cooldown, in minutes. */
  scalingCooldownMin: number;
  /** The policy of workloads whose qpilot.io/policy annotation names none. */
  policy: string;
  /** PostgreSQL (postgres://…) for decisions and samples; SQLite under dataDir when absent. */
  databaseUrl?: string;
  dataDir: string;
  /** How long a PostgreSQL call may wait (connect, pool, statement) before it is a 503. */
  storeTimeoutMs: number;
  /** Steer only the Deployments an Autopilot targets; `namespaces` then manages nothing more. */
  autopilotsOnly: boolean;
  /** Read Deployments and pods of a real cluster through watches (ADR 14); else list them each cycle. */
  kubeWatch: boolean;
  /** Decisions and samples older than this many days are deleted. */
  retentionDays: number;
  /** At most this many decisions are kept, the newest. */
  retentionMaxDecisions: number;
  /** Bearer token required by mutating routes; none required when absent (loopback only). */
  apiToken?: string;
  /** Bearer token accepted by read-only routes (the API token is accepted too). */
  readToken?: string;
  /** Origins allowed by CORS, and to make changes from a browser; none when empty. */
  corsOrigins: string[];
  /**
   * Host names a loopback client may address besides localhost, 127.0.0.1 and [::1] when no
   * token proves who it is (DNS rebinding, ADR 9).
   */
  allowedHosts: string[];
  /** Mutating requests per minute and client. */
  rateLimitPerMin: number;
  /** Lease-based leader election: auto (on in a cluster), true or false. */
  leaderElection: 'auto' | 'true' | 'false';
  /** How long a silent leader keeps the Lease before a standby takes over. */
  leaseDurationSec: number;
  /** Namespace of the Lease (and of this pod). */
  leaseNamespace?: string;
  /** This instance's identity in the Lease (the pod name in a cluster). */
  identity?: string;
  /** The URL `GET /app/stat` load-tests (seed 004's JMeter target). */
  targetUrl?: string;
  /** Seed 004's fixed test plan: how long `GET /app/stat` loads the target, and how hard. */
  loadTestDurationSec: number;
  loadTestConnections: number;
  /** Seed 004's bounds of `POST /pod/scale/in` and `/pod/scale/out`. */
  podMin: number;
  podMax: number;
}

/** Seed 002's default excluded Deployments. */
export const DEFAULT_EXCLUDED_DEPLOYMENTS = [
  'redis',
  'dqn-scaler',
  'metrics-collector',
  'load-generator',
  'dqn-scaler-dashboard',
];

export const DEFAULT_CONFIG: QpilotConfig = {
  port: 8080,
  host: '',
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
  dryRun: true,
  autoScaleEnabled: true,
  autoScaleIntervalSec: 30,
  excludedDeployments: DEFAULT_EXCLUDED_DEPLOYMENTS,
  scalingCooldownMin: 30,
  policy: 'dqn',
  dataDir: 'data',
  storeTimeoutMs: 5_000,
  autopilotsOnly: false,
  kubeWatch: true,
  ingestRetentionHours: 24,
  retentionDays: 30,
  retentionMaxDecisions: 100_000,
  corsOrigins: [],
  allowedHosts: [],
  rateLimitPerMin: 120,
  leaderElection: 'auto',
  leaseDurationSec: 15,
  podMin: 1,
  podMax: 5,
  loadTestDurationSec: 5,
  loadTestConnections: 10,
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
  agentCluster: 'QPILOT_AGENT_CLUSTER',
  ingestRetentionHours: 'QPILOT_INGEST_RETENTION_HOURS',
  kubeconfig: 'QPILOT_KUBECONFIG',
  context: 'QPILOT_KUBE_CONTEXT',
  inCluster: 'KUBERNETES_IN_CLUSTER',
  kubeRequestTimeoutMs: 'QPILOT_KUBE_TIMEOUT_MS',
  prometheusUrl: 'PROMETHEUS_URL',
  modelPath: 'MODEL_PATH',
  dryRun: 'DRY_RUN',
  autoScaleEnabled: 'AUTO_SCALE_ENABLED',
  autoScaleIntervalSec: 'AUTO_SCALE_INTERVAL',
  excludedDeployments: 'EXCLUDED_DEPLOYMENTS',
  scalingCooldownMin: 'SCALING_COOLDOWN',
  policy: 'QPILOT_POLICY',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'QPILOT_DATA_DIR',
  storeTimeoutMs: 'QPILOT_STORE_TIMEOUT_MS',
  autopilotsOnly: 'QPILOT_AUTOPILOTS_ONLY',
  kubeWatch: 'QPILOT_KUBE_WATCH',
  retentionDays: 'QPILOT_RETENTION_DAYS',
  retentionMaxDecisions: 'QPILOT_RETENTION_DECISIONS',
  apiToken: 'QPILOT_API_TOKEN',
  readToken: 'QPILOT_READ_TOKEN',
  corsOrigins: 'QPILOT_CORS_ORIGINS',
  allowedHosts: 'QPILOT_ALLOWED_HOSTS',
  rateLimitPerMin: 'QPILOT_RATE_LIMIT',
  leaderElection: 'QPILOT_LEADER_ELECTION',
  leaseDurationSec: 'QPILOT_LEASE_DURATION_SEC',
  leaseNamespace: 'POD_NAMESPACE',
  identity: 'POD_NAME',
  targetUrl: 'QPILOT_TARGET_URL',
  loadTestDurationSec: 'QPILOT_LOAD_TEST_DURATION_SEC',
  loadTestConnections: 'QPILOT_LOAD_TEST_CONNECTIONS',
  podMin: 'QPILOT_POD_MIN',
  podMax: 'QPILOT_POD_MAX',
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

function items(value: string | string[]): string[] {
  return (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean);
}

function list(value: string | string[], source: string): string[] {
  const names = items(value);
  if (names.length === 0) throw invalidArgument(`${source} must name at least one namespace`);
  return names.map((s) => dnsLabel(s, source));
}

function boolean(text: string, source: string): boolean {
  const v = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw invalidArgument(`${source} must be true or false, got "${text}"`);
}

function token(text: string, source: string): string {
  // Never echo the value: it is a secret.
  if (text.length < 16 || /\s/.test(text))
    throw invalidArgument(`${source} must be at least 16 characters without spaces`);
  return text;
}

function oneOf<T extends string>(value: string, source: string, allowed: readonly T[]): T {
  const v = value.trim();
  if (!(allowed as readonly string[]).includes(v))
    throw invalidArgument(`${source} must be one of ${allowed.join(', ')}, got "${value}"`);
  return v as T;
}

const HOST_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function hostNameOf(value: string, source: string): string {
  const name = value.trim().toLowerCase();
  if (!HOST_NAME.test(name) || name.length > 253)
    throw invalidArgument(
      `${source} must list host names without scheme or port (e.g. qpilot.example.com), got "${value}"`,
    );
  return name;
}

/** A PostgreSQL URL the driver can read; the message never repeats it (it may hold a password). */
function postgresUrl(value: string, source: string): string {
  const text = value.trim();
  const bad = (why: string) =>
    invalidArgument(
      `${source} must be a postgres:// or postgresql:// URL such as postgres://user:password@host:5432/qpilot: ${why}`,
    );
  if (!/^postgres(ql)?:\/\//.test(text)) throw bad('the scheme is not postgres');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad(
      'it is not a well-formed URL (a port of 1–65535, no spaces, % followed by two hex digits)',
    );
  }
  if (!url.hostname && !url.searchParams.has('host')) throw bad('it names no host');
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
    decodeURIComponent(url.pathname);
  } catch {
    throw bad('its user, password or database has a % not followed by two hex digits');
  }
  return text;
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
    cluster: oneOf(text, source, ['auto', 'sim', 'kube', 'agent'] as const),
  }),
  agentCluster: (_raw, source, text) => {
    if (!/^[A-Za-z0-9][-_.A-Za-z0-9]{0,127}$/.test(text.trim()))
      throw invalidArgument(
        `${source} must be a cluster id (letters, digits, "-", "_", "."), got "${text}"`,
      );
    return { agentCluster: text.trim() };
  },
  ingestRetentionHours: (raw, source) => ({
    ingestRetentionHours: integer(raw as string | number, source, 1, 24 * 3650),
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
  dryRun: (_raw, source, text) => ({ dryRun: boolean(text, source) }),
  autopilotsOnly: (_raw, source, text) => ({ autopilotsOnly: boolean(text, source) }),
  kubeWatch: (_raw, source, text) => ({ kubeWatch: boolean(text, source) }),
  autoScaleEnabled: (_raw, source, text) => ({ autoScaleEnabled: boolean(text, source) }),
  autoScaleIntervalSec: (raw, source) => ({
    autoScaleIntervalSec: integer(raw as string | number, source, 5, 86_400),
  }),
  excludedDeployments: (raw) => ({ excludedDeployments: items(raw as string | string[]) }),
  scalingCooldownMin: (raw, source) => ({
    scalingCooldownMin: integer(raw as string | number, source, 0, 1440),
  }),
  policy: (_raw, source, text) => {
    const name = text.trim().split(':')[0] ?? '';
    if (!['dqn', 'dqn-vertical', 'hpa', 'vpa', 'static'].includes(name))
      throw invalidArgument(
        `${source} must be one of dqn, dqn-vertical, hpa[:target], vpa, static:N, got "${text}"`,
      );
    return { policy: text.trim() };
  },
  databaseUrl: (_raw, source, text) => ({ databaseUrl: postgresUrl(text, source) }),
  dataDir: (_raw, _source, text) => ({ dataDir: text.trim() }),
  apiToken: (_raw, source, text) => ({ apiToken: token(text, source) }),
  readToken: (_raw, source, text) => ({ readToken: token(text, source) }),
  allowedHosts: (raw, source) => ({
    allowedHosts: items(raw as string | string[]).map((h) => hostNameOf(h, source)),
  }),
  corsOrigins: (raw, source) => ({
    corsOrigins: items(raw as string | string[]).map((o) => httpUrl(o, source)),
  }),
  rateLimitPerMin: (raw, source) => ({
    rateLimitPerMin: integer(raw as string | number, source, 1, 1_000_000),
  }),
  leaderElection: (_raw, source, text) => ({
    leaderElection: oneOf(text.toLowerCase(), source, ['auto', 'true', 'false'] as const),
  }),
  leaseDurationSec: (raw, source) => ({
    leaseDurationSec: integer(raw as string | number, source, 2, 300),
  }),
  leaseNamespace: (_raw, source, text) => ({ leaseNamespace: dnsLabel(text, source) }),
  identity: (_raw, _source, text) => ({ identity: text.trim() }),
  targetUrl: (_raw, source, text) => ({ targetUrl: httpUrl(text, source) }),
  retentionDays: (raw, source) => ({
    retentionDays: integer(raw as string | number, source, 1, 3650),
  }),
  retentionMaxDecisions: (raw, source) => ({
    retentionMaxDecisions: integer(raw as string | number, source, 1000, 100_000_000),
  }),
  storeTimeoutMs: (raw, source) => ({
    storeTimeoutMs: integer(raw as string | number, source, 100, 120_000),
  }),
  loadTestDurationSec: (raw, source) => ({
    loadTestDurationSec: integer(raw as string | number, source, 1, 60),
  }),
  loadTestConnections: (raw, source) => ({
    loadTestConnections: integer(raw as string | number, source, 1, 100),
  }),
  podMin: (raw, source) => ({ podMin: integer(raw as string | number, source, 1, 10_000) }),
  podMax: (raw, source) => ({ podMax: integer(raw as string | number, source, 1, 10_000) }),
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
  if (out.cluster === 'agent' && !out.agentCluster)
    throw invalidArgument(
      `${flagNames.cluster ?? 'QPILOT_CLUSTER'} "agent" needs the cluster to steer: set ${flagNames.agentCluster ?? 'QPILOT_AGENT_CLUSTER'}`,
    );
  if (out.podMin > out.podMax)
    throw invalidArgument(
      `QPILOT_POD_MIN (${out.podMin}) must not exceed QPILOT_POD_MAX (${out.podMax})`,
    );
  return out;
}
