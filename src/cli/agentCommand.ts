/**
 * The `agent` command, shared by `qpilot` and the agent's own bundle (dist/bundle/agent.mjs,
 * ADR 16), so that both parse the same flags and environment.
 */
import type { Command } from 'commander';
import { invalidArgument } from '../core/errors.js';
import type { RunningAgent } from './agent.js';
import type { CliIo } from './io.js';

export function addAgentCommand(
  program: Command,
  io: CliIo,
  onAgent?: (agent: RunningAgent) => void,
): Command {
  program
    .command('agent')
    .description(
      "run seed 003's in-cluster agent: collect metrics and events, carry out the hub's signed actions (configured by BACKEND_URL, BACKEND_WS_URL, API_KEY, SECRET_KEY, CLUSTER_ID)",
    )
    .option('--port <port>', 'port of /healthz, /readyz and /metrics (env PORT, default 8080)')
    .option('--host <address>', 'address to listen on (default: all in a pod, else 127.0.0.1)')
    .option('--kubeconfig <file>', "kubeconfig of the cluster (default: the pod's service account)")
    .option('--data-dir <dir>', 'where the outbox is kept (env QPILOT_DATA_DIR, default data)')
    .action(
      async (flags: { port?: string; host?: string; kubeconfig?: string; dataDir?: string }) => {
        const port = Number(flags.port ?? io.env.PORT ?? 8080);
        if (!Number.isInteger(port) || port < 0 || port > 65_535)
          throw invalidArgument(`--port must be a port number, got "${flags.port ?? io.env.PORT}"`);
        const { startAgent } = await import('./agent.js');
        const agent = await startAgent(
          {
            port,
            host: flags.host,
            kubeconfig: flags.kubeconfig ?? io.env.QPILOT_KUBECONFIG,
            dataDir: flags.dataDir ?? io.env.QPILOT_DATA_DIR ?? 'data',
            logLevel: io.env.LOG_LEVEL,
          },
          io,
        );
        onAgent?.(agent);
      },
    );
  return program;
}
