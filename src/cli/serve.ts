/**
 * `qpilot serve`: the composition root (STYLE.md, after Karpenter's NewControllers), the one
 * place where the cluster, the clock, the logger and the API are wired together.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../api/app.js';
import { createSampler } from '../api/sampling.js';
import type { QpilotConfig } from '../config/config.js';
import { resolve } from 'node:path';
import { PrometheusSource } from '../metrics/prometheus.js';
import { BUNDLED_MODELS_DIR } from '../policies/models.js';
import { loadServingModels } from '../policies/servingModels.js';
import { createCluster, resolveClusterKind } from './clusterFactory.js';
import { runningInCluster } from '../cluster/kube/kubeConfig.js';
import { ScalingService } from '../controller/scalingService.js';
import { settingsFromConfig } from '../controller/settings.js';
import { servingPolicies } from '../policies/servingPolicies.js';
import { openStore } from '../store/openStore.js';
import { VERSION } from './version.js';

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  config: QpilotConfig,
  io: { cwd: string; env: Record<string, string | undefined> },
): Promise<RunningServer> {
  const logger = pino({
    level: config.logLevel,
    base: { service: 'qpilot' },
    // Tokens are never logged, whatever logs a request.
    redact: ['req.headers.authorization', 'headers.authorization'],
  });
  const { cluster, clock, sim, description } = await createCluster(
    config,
    io,
    true,
    (method, attempt, error) =>
      logger.warn({ method, attempt, err: error.message }, 'Kubernetes API call failed; retrying'),
  );
  // The demo's seed 004 routes act on its web Deployment unless told otherwise.
  if (sim && config.scenario === 'demo' && !config.targetDeployment)
    config.targetDeployment = 'web';
  // The simulation also advances between requests, so that its load and pods move smoothly.
  const ticker = sim ? setInterval(() => sim.sync(), 1000) : undefined;
  ticker?.unref();
  const prometheus = config.prometheusUrl
    ? new PrometheusSource(config.prometheusUrl, clock)
    : undefined;
  const models = await loadServingModels(
    config.modelPath ? resolve(io.cwd, config.modelPath) : BUNDLED_MODELS_DIR,
  );
  for (const m of Object.values(models)) {
    if (m.status === 'loaded')
      logger.info({ policy: m.policy, path: m.path }, `loaded the ${m.policy} model`);
    else
      logger.warn(
        { policy: m.policy, path: m.path, err: m.error },
        `the ${m.policy} model is unavailable; its decisions fall back to the HPA`,
      );
  }
  const inCluster =
    resolveClusterKind(config, io.env) === 'kube' && runningInCluster({ env: io.env });
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    cwd: io.cwd,
    nowMs: clock.now(),
  });
  logger.info({ store: store.description }, `decisions are kept in ${store.description}`);
  const log = store.decisions;
  const scaling = new ScalingService({
    cluster,
    clock,
    settings: settingsFromConfig(config),
    policy: servingPolicies(models, (e) =>
      logger.warn(e, `${e.from} failed for ${e.namespace}/${e.name}; ${e.to} decided instead`),
    ),
    log,
    onError: (namespace, name, err) =>
      logger.warn({ namespace, workload: name, err: String(err) }, 'scaling a workload failed'),
    observer: {
      decision: (r) =>
        logger[r.outcome === 'no_change' ? 'debug' : 'info'](
          {
            namespace: r.namespace,
            workload: r.workload,
            policy: r.decision.policy,
            outcome: r.outcome,
          },
          r.message,
        ),
    },
  });
  const sampler = createSampler(cluster, clock, store.samples);
  const app = await buildApp({
    scaling,
    sampler,
    samples: store.samples,
    modelPath: config.modelPath ?? 'models',
    inCluster,
    cluster,
    clock,
    config,
    version: VERSION,
    logger,
    prometheus,
    models,
  });
  // Outside a cluster, loopback unless told otherwise; in a pod, every interface (the Service).
  const host = config.host || (inCluster ? '0.0.0.0' : '127.0.0.1');
  const address = await app.listen({ port: config.port, host });
  scaling.begin();
  const url = address.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.info(
    { url, cluster: description },
    `qpilot ${VERSION} serving ${description} on ${url} (API docs: ${url}/docs)`,
  );
  return {
    app,
    url,
    close: async () => {
      if (ticker) clearInterval(ticker);
      await app.close();
      await sampler.close();
      await scaling.close();
    },
  };
}
