/**
 * `qpilot serve`: the composition root (STYLE.md, after Karpenter's NewControllers), the one
 * place where the cluster, the clock, the logger and the API are wired together.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../api/app.js';
import type { QpilotConfig } from '../config/config.js';
import { createSimCluster } from './clusterFactory.js';
import { VERSION } from './version.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: QpilotConfig, cwd: string): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel, base: { service: 'qpilot' } });
  const { sim, clock, scenario } = await createSimCluster(config, cwd, true);
  // The simulation also advances between requests, so that its load and pods move smoothly.
  const ticker = setInterval(() => sim.sync(), 1000);
  ticker.unref();
  const app = await buildApp({ cluster: sim, clock, config, version: VERSION, logger });
  const address = await app.listen({ port: config.port, host: config.host });
  const url = address.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.info(
    { url, scenario: scenario.name, simSpeed: config.simSpeed },
    `qpilot ${VERSION} serving the simulated cluster "${scenario.name}" on ${url} (API docs: ${url}/docs)`,
  );
  return {
    app,
    url,
    close: async () => {
      clearInterval(ticker);
      await app.close();
    },
  };
}
