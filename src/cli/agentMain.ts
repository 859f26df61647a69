#!/usr/bin/env node
/**
 * The agent's own executable: `qpilot` with only the `agent` command. The build bundles it,
 * minified, into dist/bundle/agent.mjs, which the chart runs: loading client-node, Fastify and
 * the protocol's schemas as separate modules costs the agent ~45 MB of RSS it cannot spare
 * (ADR 16, docs/benchmarks.md).
 */
import { Command } from 'commander';
import { addAgentCommand } from './agentCommand.js';
import { runMain } from './runMain.js';
import { VERSION } from './version.js';

await runMain((io, stopOnSignals) =>
  addAgentCommand(
    new Command('qpilot')
      .description("qpilot's in-cluster agent")
      .version(VERSION)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) }),
    io,
    stopOnSignals,
  ),
);
