/**
 * Makes the cluster a command talks to: the embedded simulated cluster (the demo scenario or a
 * scenario file), or a real one through KubeCluster.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { SimCluster } from '../cluster/sim/simCluster.js';
import {
  DEFAULT_WARMUP_SEC,
  DEMO_SCENARIO,
  type Scenario,
  buildScenario,
  loadScenarioTraces,
  parseScenario,
} from '../cluster/sim/scenario.js';
import type { QpilotConfig } from '../config/config.js';
import { type Clock, ManualClock, RealClock, ScaledClock } from '../core/clock.js';
import { QpError, invalidArgument } from '../core/errors.js';
import { BUNDLED_TRACES_DIR, loadTraceFile } from '../traces/files.js';
import type { ClusterClient } from '../cluster/clusterClient.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../cluster/kube/kubeCluster.js';
import { loadKubeConfig, runningInCluster } from '../cluster/kube/kubeConfig.js';
import { withRetry } from '../cluster/retry.js';
import { Rng } from '../core/rng.js';
import { AgentCluster } from '../cluster/agent/agentCluster.js';
import type { Switchboard } from '../cluster/agent/switchboard.js';

export async function loadScenario(
  ref: string,
  cwd: string,
): Promise<{ scenario: Scenario; baseDir: string }> {
  if (ref === 'demo') return { scenario: DEMO_SCENARIO, baseDir: cwd };
  const path = resolve(cwd, ref);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new QpError(
      'QP_ERR_NOT_FOUND',
      `scenario "${ref}" is neither "demo" nor a readable file (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw invalidArgument(`scenario ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return { scenario: parseScenario(json, path), baseDir: dirname(path) };
}

/** A trace by bundled name (traces/NAME.csv) or by path, relative to the scenario file. */
export function traceLoader(baseDir: string) {
  return (ref: string) => {
    const bundled = join(BUNDLED_TRACES_DIR, `${ref}.csv`);
    if (!ref.includes('/') && !ref.endsWith('.csv') && existsSync(bundled))
      return loadTraceFile(bundled, { name: ref, format: 'canonical' });
    return loadTraceFile(isAbsolute(ref) ? ref : join(baseDir, ref));
  };
}

export interface SimSetup {
  sim: SimCluster;
  clock: Clock;
  scenario: Scenario;
}

/**
 * Builds the scenario's simulated cluster, begun `warmupSec` ago so that its pods are Ready
 * and have metrics from the start. `live`: its clock then follows real time (times the
 * simulation speed); otherwise the cluster stands still at the present.
 */
export async function createSimCluster(
  config: QpilotConfig,
  cwd: string,
  live: boolean,
): Promise<SimSetup> {
  const { scenario, baseDir } = await loadScenario(config.scenario, cwd);
  const traces = await loadScenarioTraces(scenario, traceLoader(baseDir));
  const warmupMs = (scenario.warmupSec ?? DEFAULT_WARMUP_SEC) * 1000;
  const nowMs = new RealClock().now();
  const clock: Clock = live ? new ScaledClock(config.simSpeed, nowMs) : new ManualClock(nowMs);
  const sim = new SimCluster(clock, {
    ...scenario.options,
    seed: scenario.seed ?? config.seed,
    startMs: nowMs - warmupMs,
  });
  buildScenario(sim, scenario, traces);
  sim.sync();
  return { sim, clock, scenario };
}

/**
 * `auto` means: a real cluster when there is reason to think one is meant — in-cluster
 * credentials, KUBERNETES_IN_CLUSTER=true, or an explicit --kubeconfig or --context — and the
 * simulator otherwise, so that `npm start` never touches a cluster by surprise.
 */
export function resolveClusterKind(
  config: QpilotConfig,
  env: Record<string, string | undefined>,
): 'sim' | 'kube' | 'agent' {
  if (config.cluster !== 'auto') return config.cluster;
  if (config.inCluster === 'true' || config.kubeconfig || config.context) return 'kube';
  if (config.inCluster === 'auto' && runningInCluster({ env })) return 'kube';
  return 'sim';
}

export interface ClusterSetup {
  cluster: ClusterClient;
  clock: Clock;
  /** What is behind the cluster, for the startup log. */
  description: string;
  /** The simulator, when the cluster is simulated (serve keeps it moving). */
  sim?: SimCluster;
  /** The kubeconfig of a real cluster (leader election uses it). */
  kubeConfig?: KubeConfig;
  /** Whether qpilot runs in a pod of the cluster it steers (where it listens, whether it elects a leader). */
  inCluster: boolean;
  /** The hub's id of the cluster, when it is steered through its agent. */
  agentClusterId?: string;
}

export async function createCluster(
  config: QpilotConfig,
  io: { cwd: string; env: Record<string, string | undefined> },
  live: boolean,
  onRetry?: (method: string, attempt: number, error: Error) => void,
  /** The hub's switchboard: only `serve` has one, and only it can steer a cluster through an agent. */
  switchboard?: Switchboard,
): Promise<ClusterSetup> {
  const kind = resolveClusterKind(config, io.env);
  if (kind === 'agent') {
    if (!switchboard || !config.agentCluster)
      throw invalidArgument(
        '--cluster agent steers a cluster through its agent, which connects to `qpilot serve`: use it with serve and --agent-cluster',
      );
    return {
      cluster: new AgentCluster(switchboard, config.agentCluster),
      agentClusterId: config.agentCluster,
      clock: new RealClock(),
      // Where serve itself runs (where it listens), not the steered cluster.
      inCluster: runningInCluster({ env: io.env }),
      description: `the cluster "${config.agentCluster}" through its agent`,
    };
  }
  if (kind === 'sim') {
    const { sim, clock, scenario } = await createSimCluster(config, io.cwd, live);
    return {
      cluster: sim,
      clock,
      sim,
      inCluster: false,
      description: `the simulated cluster "${scenario.name}"`,
    };
  }
  const loaded = loadKubeConfig({
    inCluster: config.inCluster,
    kubeconfigPath: config.kubeconfig,
    context: config.context,
    env: io.env,
  });
  const clock = new RealClock();
  const kube = new KubeCluster(loaded.kc, clock, {
    requestTimeoutMs: config.kubeRequestTimeoutMs,
    identity: config.identity,
  });
  const cluster = withRetry(kube, {
    clock,
    rng: new Rng('kube-retry'),
    attempts: 3,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    onRetry,
  });
  return {
    cluster,
    clock,
    kubeConfig: loaded.kc,
    inCluster: runningInCluster({ env: io.env }),
    description: `the Kubernetes API server ${loaded.server} (${loaded.source})`,
  };
}
