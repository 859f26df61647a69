/**
 * What an executable does around its command line: the process's io, stopping a server or an
 * agent at SIGTERM within a deadline, and failures turned into exit codes. Shared by `qpilot`
 * (main.ts) and the agent's bundle (agentMain.ts).
 */
import { type Command, CommanderError } from 'commander';
import { loadEnv } from '../config/env.js';
import { RealClock } from '../core/clock.js';
import { isQpError } from '../core/errors.js';
import type { CliIo } from './io.js';

/** Within Kubernetes' default 30 s grace period, with room for the Service to drain. */
const SHUTDOWN_DEADLINE_MS = 10_000;

export type StopOnSignals = (running: { close(): Promise<void> }) => void;

export async function runMain(
  build: (io: CliIo, stopOnSignals: StopOnSignals) => Command,
): Promise<void> {
  const io: CliIo = {
    stdout: (s: string) => void process.stdout.write(s),
    stderr: (s: string) => void process.stderr.write(s),
    env: loadEnv(),
    cwd: process.cwd(),
    isTTY: process.stderr.isTTY,
    now: () => new RealClock().now(),
  };

  // A failure inside a request handler never reaches here (the API answers it); anything that
  // does is logged and the process carries on serving.
  process.on('unhandledRejection', (reason) => {
    io.stderr(
      `qpilot: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
    );
  });

  /** Stops a running server or agent at SIGTERM or SIGINT, within the deadline. */
  const stopOnSignals: StopOnSignals = (running) => {
    let stopping = false;
    const stop = () => {
      if (stopping) process.exit(1);
      stopping = true;
      // Closing waits for requests in flight and the store; a store that stopped answering
      // must not keep a terminated pod alive until Kubernetes kills it.
      setTimeout(() => {
        io.stderr(
          `qpilot: did not stop within ${SHUTDOWN_DEADLINE_MS / 1000} s (the store or the cluster does not answer); exiting\n`,
        );
        process.exit(1);
      }, SHUTDOWN_DEADLINE_MS).unref();
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  };

  try {
    await build(io, stopOnSignals).parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
    } else {
      io.stderr(
        `qpilot: ${isQpError(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    }
  }
}
