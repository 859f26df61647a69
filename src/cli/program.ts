/**
 * The `qpilot` command line (commander), built per call so that tests can run it in-process.
 * Each command's modules are imported when it runs, so that the agent never loads the server,
 * the policies or TensorFlow.js (its memory: docs/benchmarks.md).
 */
import type { RunningAgent } from './agent.js';
import { addAgentCommand } from './agentCommand.js';
import { Command, Option } from 'commander';
import { type QpilotConfig, type RawConfig, loadConfig } from '../config/config.js';
import type { CliIo } from './io.js';
import type { RunningServer } from './serve.js';
import type { EvaluateFlags } from './evaluateCommand.js';
import type { ImportFlags } from './traceCommand.js';
import type { TrainFlags } from './trainCommand.js';
import { VERSION } from './version.js';

const FLAG_NAMES: Partial<Record<keyof QpilotConfig, string>> = {
  port: '--port',
  host: '--host',
  logLevel: '--log-level',
  namespaces: '--namespaces',
  targetNamespace: '--target-namespace',
  targetDeployment: '--target-deployment',
  scenario: '--scenario',
  simSpeed: '--sim-speed',
  seed: '--seed',
  nodeReportTtlMs: '--node-report-ttl-ms',
  cluster: '--cluster',
  agentCluster: '--agent-cluster',
  ingestRetentionHours: '--ingest-retention-hours',
  kubeconfig: '--kubeconfig',
  context: '--context',
  inCluster: '--in-cluster',
  kubeRequestTimeoutMs: '--kube-timeout-ms',
  prometheusUrl: '--prometheus-url',
  modelPath: '--model-path',
  dryRun: '--dry-run',
  autoScaleEnabled: '--auto-scale-enabled',
  autoScaleIntervalSec: '--auto-scale-interval',
  excludedDeployments: '--excluded-deployments',
  scalingCooldownMin: '--scaling-cooldown',
  policy: '--policy',
  databaseUrl: '--database-url',
  dataDir: '--data-dir',
  storeTimeoutMs: '--store-timeout-ms',
  autopilotsOnly: '--autopilots-only',
  kubeWatch: '--kube-watch',
  retentionDays: '--retention-days',
  retentionMaxDecisions: '--retention-decisions',
  corsOrigins: '--cors-origins',
  allowedHosts: '--allowed-hosts',
  rateLimitPerMin: '--rate-limit',
  leaderElection: '--leader-election',
  leaseDurationSec: '--lease-duration',
  targetUrl: '--target-url',
  loadTestDurationSec: '--load-test-duration',
  loadTestConnections: '--load-test-connections',
  podMin: '--pod-min',
  podMax: '--pod-max',
};

/** Flags whose commander attribute differs from the configuration key (the key carries the unit). */
const FLAG_KEYS: Record<string, keyof QpilotConfig> = {
  autoScaleInterval: 'autoScaleIntervalSec',
  scalingCooldown: 'scalingCooldownMin',
  rateLimit: 'rateLimitPerMin',
  leaseDuration: 'leaseDurationSec',
  loadTestDuration: 'loadTestDurationSec',
  retentionDecisions: 'retentionMaxDecisions',
};

function serveFlags(flags: Record<string, unknown>): RawConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) out[FLAG_KEYS[k] ?? k] = v;
  return out;
}

function clusterOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--cluster <kind>',
        'auto, sim, kube or agent (env QPILOT_CLUSTER; auto: kube with --kubeconfig, --context or in a pod; agent: serve steers --agent-cluster through its agent)',
      ),
    )
    .addOption(
      new Option(
        '--agent-cluster <id>',
        'with --cluster agent: the registered cluster to steer through its agent (env QPILOT_AGENT_CLUSTER)',
      ),
    )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        'kubeconfig of a real cluster (else KUBECONFIG, else ~/.kube/config)',
      ),
    )
    .addOption(
      new Option('--context <name>', 'kubeconfig context to use (env QPILOT_KUBE_CONTEXT)'),
    )
    .addOption(
      new Option(
        '--in-cluster <auto|true|false>',
        "use the pod's service account (env KUBERNETES_IN_CLUSTER)",
      ),
    )
    .addOption(
      new Option(
        '--kube-timeout-ms <ms>',
        'timeout of one Kubernetes API request (env QPILOT_KUBE_TIMEOUT_MS, default 10000)',
      ),
    )
    .addOption(
      new Option(
        '--scenario <name|file>',
        'the simulated cluster: "demo" or a JSON scenario file (env QPILOT_SCENARIO)',
      ),
    )
    .addOption(new Option('--seed <seed>', 'random seed of the simulation (env QPILOT_SEED)'));
}

export function buildProgram(
  io: CliIo,
  onServe?: (server: RunningServer) => void,
  onAgent?: (agent: RunningAgent) => void,
): Command {
  const program = new Command('qpilot')
    .description('A reinforcement-learning autopilot for Kubernetes workloads')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  clusterOptions(
    program
      .command('serve')
      .description('serve the REST API (and /docs) against the simulated cluster or a real one')
      .addOption(new Option('--port <port>', 'HTTP port (env PORT, default 8080)'))
      .addOption(
        new Option('--host <address>', 'address to listen on (env HOST, default 127.0.0.1)'),
      )
      .addOption(
        new Option(
          '--namespaces <list>',
          'comma-separated namespaces to watch (env NAMESPACES, default "default")',
        ),
      )
      .addOption(
        new Option(
          '--target-namespace <name>',
          'namespace of the target Deployment of /pod (env QPILOT_TARGET_NAMESPACE)',
        ),
      )
      .addOption(
        new Option(
          '--target-deployment <name>',
          'target Deployment of /pod (env QPILOT_TARGET_DEPLOYMENT)',
        ),
      )
      .addOption(
        new Option(
          '--sim-speed <factor>',
          'simulated seconds per real second (env QPILOT_SIM_SPEED, default 1)',
        ),
      )
      .addOption(
        new Option(
          '--node-report-ttl-ms <ms>',
          'how long GET /nodes may reuse a report (env QPILOT_NODE_REPORT_TTL_MS, default 1000)',
        ),
      )
      .addOption(
        new Option(
          '--model-path <dir>',
          'directory with the dqn/ and dqn-vertical/ models (env MODEL_PATH, default: the bundled models/)',
        ),
      )
      .addOption(
        new Option(
          '--prometheus-url <url>',
          'a Prometheus for request latency, CPU and memory (env PROMETHEUS_URL)',
        ),
      )
      .addOption(
        new Option(
          '--log-level <level>',
          'fatal, error, warn, info, debug, trace or silent (env LOG_LEVEL)',
        ),
      )
      .addOption(
        new Option('--dry-run <bool>', 'decide and record, never act (env DRY_RUN, default true)'),
      )
      .addOption(
        new Option(
          '--auto-scale-enabled <bool>',
          'run the control loop from start-up (env AUTO_SCALE_ENABLED, default true)',
        ),
      )
      .addOption(
        new Option(
          '--auto-scale-interval <seconds>',
          'seconds between control-loop cycles (env AUTO_SCALE_INTERVAL, default 30)',
        ),
      )
      .addOption(
        new Option(
          '--excluded-deployments <list>',
          'comma-separated Deployments never scaled (env EXCLUDED_DEPLOYMENTS)',
        ),
      )
      .addOption(
        new Option(
          '--scaling-cooldown <minutes>',
          'minutes a workload is left alone after a change (env SCALING_COOLDOWN, default 30)',
        ),
      )
      .addOption(
        new Option(
          '--policy <spec>',
          'policy of workloads without a qpilot.io/policy annotation (env QPILOT_POLICY, default dqn)',
        ),
      )
      .addOption(
        new Option(
          '--database-url <url>',
          'PostgreSQL for decisions and samples (env DATABASE_URL; SQLite under --data-dir when absent)',
        ),
      )
      .addOption(
        new Option(
          '--data-dir <dir>',
          'where the SQLite file lives (env QPILOT_DATA_DIR, default data)',
        ),
      )
      .addOption(
        new Option(
          '--store-timeout-ms <ms>',
          'how long a PostgreSQL call may wait before it fails with a 503 (env QPILOT_STORE_TIMEOUT_MS, default 5000)',
        ),
      )
      .addOption(
        new Option(
          '--autopilots-only <bool>',
          'steer only the Deployments an Autopilot targets, not every Deployment of the namespaces (env QPILOT_AUTOPILOTS_ONLY, default false)',
        ),
      )
      .addOption(
        new Option(
          '--ingest-retention-hours <hours>',
          'how long the hub keeps the batches its agents send (env QPILOT_INGEST_RETENTION_HOURS, default 24)',
        ),
      )
      .addOption(
        new Option(
          '--kube-watch <bool>',
          'read Deployments and pods of a real cluster through watches, not a listing every cycle (env QPILOT_KUBE_WATCH, default true)',
        ),
      )
      .addOption(
        new Option(
          '--retention-days <days>',
          'decisions and samples older than this are deleted (env QPILOT_RETENTION_DAYS, default 30)',
        ),
      )
      .addOption(
        new Option(
          '--retention-decisions <n>',
          'at most this many decisions are kept, the newest (env QPILOT_RETENTION_DECISIONS, default 100000)',
        ),
      )
      .addOption(
        new Option(
          '--cors-origins <list>',
          'comma-separated origins allowed by CORS (env QPILOT_CORS_ORIGINS, default none)',
        ),
      )
      .addOption(
        new Option(
          '--allowed-hosts <list>',
          'host names besides localhost that loopback clients may address without a token (env QPILOT_ALLOWED_HOSTS)',
        ),
      )
      .addOption(
        new Option(
          '--rate-limit <per-minute>',
          'mutating requests per minute and client (env QPILOT_RATE_LIMIT, default 120)',
        ),
      )
      .addOption(
        new Option(
          '--lease-duration <seconds>',
          'how long a silent leader keeps the Lease (env QPILOT_LEASE_DURATION_SEC, default 15)',
        ),
      )
      .addOption(
        new Option(
          '--leader-election <auto|true|false>',
          'elect one acting replica through a Lease (env QPILOT_LEADER_ELECTION; auto: in a cluster)',
        ),
      )
      .addOption(
        new Option(
          '--pod-min <n>',
          'lower bound of POST /pod/scale/in (env QPILOT_POD_MIN, default 1)',
        ),
      )
      .addOption(
        new Option(
          '--pod-max <n>',
          'upper bound of POST /pod/scale/out (env QPILOT_POD_MAX, default 5)',
        ),
      )
      .addOption(
        new Option(
          '--target-url <url>',
          'the URL GET /app/stat load-tests (env QPILOT_TARGET_URL)',
        ),
      )
      .addOption(
        new Option(
          '--load-test-duration <seconds>',
          'seconds each GET /app/stat loads the target (env QPILOT_LOAD_TEST_DURATION_SEC, default 5, at most 60)',
        ),
      )
      .addOption(
        new Option(
          '--load-test-connections <n>',
          'connections of each GET /app/stat load test (env QPILOT_LOAD_TEST_CONNECTIONS, default 10, at most 100)',
        ),
      ),
  ).action(async (rawFlags: Record<string, unknown>) => {
    const flags = serveFlags(rawFlags);
    const config = loadConfig(io.env, flags, FLAG_NAMES);
    const { startServer } = await import('./serve.js');
    const server = await startServer(config, io);
    onServe?.(server);
  });

  clusterOptions(
    program
      .command('nodes')
      .description(
        "print each node's CPU and memory: allocatable, and what its pods request and limit",
      )
      .option('--json', 'print the JSON of GET /nodes instead of a table'),
  ).action(async (flags: RawConfig & { json?: boolean }) => {
    const { json, ...rest } = flags;
    const config = loadConfig(io.env, rest, FLAG_NAMES);
    const { createCluster } = await import('./clusterFactory.js');
    const { printNodes } = await import('./nodesCommand.js');
    const { cluster } = await createCluster(config, io, false);
    await printNodes(cluster, io, json === true);
  });

  addAgentCommand(program, io, onAgent);

  program
    .command('train')
    .description('train a DQN policy in the simulator and write its model directory')
    .option('--policy <name>', 'dqn (replicas) or dqn-vertical (CPU and memory)', 'dqn')
    .option('--out <dir>', 'model directory to write (default: models/<policy>)')
    .option(
      '--steps <n>',
      'environment steps in all (default 300000 for dqn, 200000 for dqn-vertical)',
    )
    .option('--envs <n>', 'simulated environments stepped together', '8')
    .option('--seed <seed>', 'random seed: the same seed trains the same model', '1')
    .option(
      '--trace <files...>',
      'train on random windows of these traces instead of synthetic traffic',
    )
    .option('--checkpoint-every <n>', 'write a checkpoint every n steps')
    .option('--hidden <units>', 'hidden layer sizes', '64,64')
    .option(
      '--workload <profiles...>',
      'train dqn on these workload profiles (bundled names or JSON files) instead of wide random ranges',
    )
    .action(async (flags: TrainFlags) =>
      (await import('./trainCommand.js')).runTraining(flags, io, io.now ?? (() => 0)),
    );

  program
    .command('evaluate')
    .description(
      'run policies through the simulator over traces and report cost, SLO violations, latency, drops and actions',
    )
    .requiredOption('--trace <files...>', 'trace files, or names of bundled traces (traces/*.csv)')
    .option(
      '--policy <list>',
      'comma-separated: hpa, hpa:80, vpa, static:4, oracle, dqn, dqn-vertical',
      'hpa,dqn,oracle',
    )
    .option(
      '--hpa-sweep [from:to:step]',
      'add the HPA at every target of this grid, in % (default 20:92:2)',
    )
    .option(
      '--workload <profiles...>',
      'workload profiles: bundled names (profiles/*.json) or JSON files (default: default)',
    )
    .option('--seeds <list>', 'run each policy once per seed (1,2,3) and report the spread')
    .option(
      '--slo-target <percent>',
      'a policy meets the SLO when at most this % of intervals violate it, on every seed',
      '0.5',
    )
    .option(
      '--no-latency-signal',
      "hide the workload's latency and SLO from the policies (as a cluster without Prometheus)",
    )
    .option('--json', "print EVALUATION.md's JSON object instead of a table")
    .option(
      '--plot <file.svg>',
      'draw load, replicas and p95 latency over time (one file per trace)',
    )
    .option('--peak-rps <rps>', 'rescale each trace so that its peak is this', '2000')
    .option('--start <time>', 'skip the start of each trace (50d, 12h, 3600)')
    .option('--duration <time>', 'evaluate only this much of each trace (7d, 12h, 3600)')
    .option('--seed <seed>', 'random seed of the simulation', '1')
    .option('--model <dir>', 'model of dqn (default: models/dqn)')
    .option('--vertical-model <dir>', 'model of dqn-vertical (default: models/dqn-vertical)')
    .action(async (flags: EvaluateFlags) =>
      (await import('./evaluateCommand.js')).runEvaluation(flags, io),
    );

  const trace = program
    .command('trace')
    .description('load traces: import published formats, describe canonical files');
  trace
    .command('import')
    .description(
      'convert traces (per-minute or hourly counts, Azure VM readings, canonical) to the canonical t,rps CSV',
    )
    .argument('<files...>', 'trace files to import')
    .option('-o, --out <file>', 'write the (single) result here instead of standard output')
    .option('--out-dir <dir>', 'write each result to DIR/NAME.csv')
    .option('--peak-rps <rps>', 'rescale so that the peak is this many requests per second')
    .option('--format <format>', 'auto, canonical, counts or azure', 'auto')
    .option('--column <column>', 'for Azure VM readings: cpu (default) or memory')
    .action(async (files: string[], flags: ImportFlags) =>
      (await import('./traceCommand.js')).importTraces(files, flags, io),
    );
  trace
    .command('info')
    .description('points, step, duration, mean and peak of trace files')
    .argument('<files...>', 'trace files')
    .action(async (files: string[]) => (await import('./traceCommand.js')).traceInfo(files, io));

  return program;
}
