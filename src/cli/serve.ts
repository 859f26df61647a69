/**
 * `qpilot serve`: the composition root (STYLE.md, after Karpenter's NewControllers), the one
 * place where the cluster, the clock, the logger and the API are wired together.
 */
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../api/app.js';
import { createSampler } from '../api/sampling.js';
import { ServiceMetrics } from '../metrics/serviceMetrics.js';
import type { QpilotConfig } from '../config/config.js';
import { resolve } from 'node:path';
import { PrometheusSource, prometheusServiceSignals } from '../metrics/prometheus.js';
import { BUNDLED_MODELS_DIR } from '../policies/models.js';
import { loadServingModels } from '../policies/servingModels.js';
import { createCluster } from './clusterFactory.js';
import { ScalingService } from '../controller/scalingService.js';
import { settingsFromConfig } from '../controller/settings.js';
import { servingPolicies } from '../policies/servingPolicies.js';
import { openStore } from '../store/openStore.js';
import { startRetention } from '../controller/retention.js';
import { VERSION } from './version.js';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { KubeLeaseStore } from '../cluster/kube/leaseStore.js';
import { serviceAccountNamespace } from '../cluster/kube/kubeConfig.js';
import { LeaderElector } from '../controller/leaderElector.js';
import { AutopilotController } from '../controller/autopilotController.js';
import { KubeAutopilots } from '../cluster/kube/kubeAutopilots.js';
import { KubeWorkloadCache } from '../cluster/kube/kubeWorkloadCache.js';
import { type Clock, RealClock } from '../core/clock.js';
import { Switchboard } from '../cluster/agent/switchboard.js';
import { AgentHub, type HubEvents } from '../api/hub/agentHub.js';
import { Fleet } from '../controller/fleet.js';
import { AgentAutopilots } from '../cluster/agent/agentAutopilots.js';
import { AgentCluster } from '../cluster/agent/agentCluster.js';
import type { ClusterClient } from '../cluster/clusterClient.js';
import type { DecisionLog } from '../store/decisionLog.js';
import type { ScalingServiceDeps } from '../controller/scalingService.js';

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
  // The hub's switchboard signs with keys the hub reads from the store, opened below; it asks
  // for them only when a call leaves.
  const late: { hub?: AgentHub } = {};
  const hubClock = new RealClock();
  const switchboard = new Switchboard({
    clock: hubClock,
    secretKey: (id) => late.hub?.secretKey(id),
  });
  // homeAgentCluster: the hub's id of the home cluster when serve steers it through its agent.
  const {
    cluster,
    clock,
    sim,
    description,
    kubeConfig,
    inCluster,
    agentClusterId: homeAgentCluster,
  } = await createCluster(
    config,
    io,
    true,
    (method, attempt, error) =>
      logger.warn({ method, attempt, err: error.message }, 'Kubernetes API call failed; retrying'),
    switchboard,
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
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    cwd: io.cwd,
    nowMs: clock.now(),
    timeoutMs: config.storeTimeoutMs,
  });
  logger.info({ store: store.description }, `decisions are kept in ${store.description}`);
  const metrics = new ServiceMetrics();
  const elector = leaderElection(config, {
    clock,
    kubeConfig,
    inCluster,
    logger,
    metrics,
    // The agents' channels follow the lease: a replica that stops leading hangs up on them.
    onLost: () => {
      const n = switchboard.hangUpAll();
      if (n > 0)
        logger.info({ sockets: n }, `closed ${n} agent sockets: they reconnect to the leader`);
    },
  });
  const watches = kubeConfig ? startWatches(config, kubeConfig, logger, clock) : undefined;
  const autopilots = watches
    ? new AutopilotController({
        client: watches.autopilots,
        cluster,
        clock,
        onError: (namespace, name, err) =>
          logger.warn(
            { namespace, autopilot: name, err: String(err) },
            'an Autopilot status could not be written',
          ),
      })
    : undefined;
  // Not awaited: a cycle before the first listing lists Deployments and pods itself, and
  // decides nothing while the Autopilots are unknown.
  void watches?.started;
  /** The Autopilots of a cluster steered through its agent, read through it (ADR 17). */
  const remoteAutopilots = (target: AgentCluster, reachable: () => boolean, id: string) => {
    const warn = warnEveryFiveMinutes(logger, hubClock);
    const reader = new AgentAutopilots({
      calls: target,
      clock: hubClock,
      reachable,
      readsAutopilots: () => late.hub?.takes(id, 'autopilot_status') ?? false,
      onError: (err) =>
        warn(
          String(err),
          { cluster: id },
          "the cluster's Autopilots could not be read through its agent (nothing is decided until they are)",
        ),
    });
    void reader.start();
    const controller = new AutopilotController({
      client: reader,
      cluster: target,
      clock: hubClock,
      onError: (namespace, name, err) =>
        logger.warn(
          { cluster: id, namespace, autopilot: name, err: String(err) },
          'an Autopilot status could not be written',
        ),
    });
    return { reader, controller };
  };

  /** A controller for one cluster; `clusterId` names a cluster of the fleet in logs. */
  const controller = (
    target: ClusterClient,
    log: DecisionLog,
    extra: Partial<ScalingServiceDeps>,
    clusterId?: string,
  ) => {
    const where = clusterId ? { cluster: clusterId } : {};
    return new ScalingService({
      leadership: elector,
      cluster: target,
      clock,
      settings: settingsFromConfig(config),
      // One set of policies per cluster: they keep per-workload history, and two clusters may
      // each run a Deployment of the same name.
      policy: servingPolicies(models, (e) => {
        metrics.policyFallback(e);
        logger.warn(
          { ...where, ...e },
          `${e.from} failed for ${e.namespace}/${e.name}; ${e.to} decided instead`,
        );
      }),
      log,
      autopilotsOnly: config.autopilotsOnly,
      onError: (namespace, name, err) => {
        metrics.error(name === '*' ? 'loop' : 'workload');
        logger.warn(
          { ...where, namespace, workload: name, err: String(err) },
          'scaling a workload failed',
        );
      },
      observer: {
        ...metrics.observer,
        decision: (r) => {
          metrics.recordDecision(r);
          logger[r.outcome === 'no_change' ? 'debug' : 'info'](
            {
              ...where,
              namespace: r.namespace,
              workload: r.workload,
              policy: r.decision.policy,
              outcome: r.outcome,
            },
            r.message,
          );
        },
      },
      ...extra,
    });
  };
  // A home cluster steered through its agent has its Autopilots read through it too.
  const homeRemote =
    homeAgentCluster && cluster instanceof AgentCluster
      ? remoteAutopilots(cluster, () => switchboard.reachable(homeAgentCluster), homeAgentCluster)
      : undefined;
  const scaling = controller(cluster, store.decisions, {
    // A latency source for workloads with an SLO: Prometheus when configured, else the
    // simulator's own; against a real cluster without Prometheus, none.
    signals: prometheus ? prometheusServiceSignals(prometheus, clock) : sim,
    autopilots: autopilots ?? homeRemote?.controller,
    cache: watches?.cache,
    ...(homeAgentCluster ? { reachable: () => switchboard.reachable(homeAgentCluster) } : {}),
  });
  // Every other cluster registered with the hub is steered by a controller of its own.
  const fleet = new Fleet((id) => {
    const target = new AgentCluster(switchboard, id);
    const decisions = store.decisions.forCluster(id);
    const reachable = () => switchboard.reachable(id);
    const remote = remoteAutopilots(target, reachable, id);
    return {
      id,
      cluster: target,
      scaling: controller(
        target,
        decisions,
        { clock: hubClock, reachable, autopilots: remote.controller },
        id,
      ),
      stop: () => remote.reader.stop(),
    };
  });
  const hub = new AgentHub({
    store: store.hub,
    switchboard,
    clock: hubClock,
    events: {
      ...hubEvents(logger, metrics),
      known: (id) => {
        if (id === homeAgentCluster) return;
        fleet.join(id);
        logger.info({ cluster: id }, `steering the cluster "${id}" through its agent`);
      },
      forgotten: (id) => {
        fleet.leave(id).then(
          () => logger.info({ cluster: id }, `no longer steering the cluster "${id}"`),
          (err: unknown) =>
            logger.warn(
              { cluster: id, err: String(err) },
              'stopping a cluster’s controller failed',
            ),
        );
      },
    },
  });
  late.hub = hub;
  await hub.load();
  const sampler = createSampler(cluster, clock, store.samples);
  const retention = startRetention({
    clock,
    decisions: store.decisions,
    samples: store.samples,
    settings: () => ({ days: config.retentionDays, maxDecisions: config.retentionMaxDecisions }),
    onPruned: (r) =>
      logger.info(r, `deleted ${r.decisions} decisions and ${r.samples} samples past retention`),
    onError: (err) => logger.warn({ err: String(err) }, 'pruning past retention failed'),
  });
  const app = await buildApp({
    metrics,
    scaling,
    sampler,
    samples: store.samples,
    store,
    modelPath: config.modelPath ?? 'models',
    inCluster,
    cluster,
    clock,
    config,
    version: VERSION,
    logger,
    prometheus,
    models,
    fleet,
    homeClusterId: homeAgentCluster,
    hub: {
      hub,
      switchboard,
      ...(elector ? { leadership: elector } : {}),
      store: store.hub,
      onSocket: (clusterId, agentId, open) => {
        metrics.hubSockets.inc(open ? 1 : -1);
        logger.info(
          { cluster: clusterId, agent: agentId },
          open ? 'an agent connected its WebSocket' : 'an agent WebSocket closed',
        );
      },
    },
  });
  const ingestPruner = setInterval(() => {
    const beforeMs = hubClock.now() - config.ingestRetentionHours * 3_600_000;
    store.hub.prune(beforeMs).then(
      (n) => n > 0 && logger.info({ batches: n }, `deleted ${n} agent batches past retention`),
      (err: unknown) => logger.warn({ err: String(err) }, 'pruning agent batches failed'),
    );
  }, 600_000);
  ingestPruner.unref();
  // Outside a cluster, loopback unless told otherwise; in a pod, every interface (the Service).
  const host = config.host || (inCluster ? '0.0.0.0' : '127.0.0.1');
  const address = await app.listen({ port: config.port, host });
  elector?.start();
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
      clearInterval(ingestPruner);
      switchboard.close();
      await app.close();
      await sampler.close();
      await retention.stop();
      await scaling.close();
      await fleet.close();
      await homeRemote?.reader.stop();
      await watches?.stop();
      await elector?.stop();
      await store.close();
    },
  };
}

/**
 * The watches a real cluster is read through: Deployments and pods for the loop's snapshot,
 * Autopilots for their plans. A broken watch is retried; its errors are logged once every
 * five minutes each, not at every retry.
 */
function startWatches(config: QpilotConfig, kc: KubeConfig, logger: Logger, clock: Clock) {
  const warnOnce = warnEveryFiveMinutes(logger, clock);
  const warn = (what: string) => (err: unknown) =>
    warnOnce(
      `${what}: ${err instanceof Error ? err.message : String(err)}`,
      {},
      `${what}; it is retried`,
    );
  const cache = config.kubeWatch
    ? new KubeWorkloadCache(kc, {
        requestTimeoutMs: config.kubeRequestTimeoutMs,
        onError: warn('the watch on Deployments and pods broke (cycles list them meanwhile)'),
      })
    : undefined;
  const autopilots = new KubeAutopilots(kc, {
    requestTimeoutMs: config.kubeRequestTimeoutMs,
    onError: (err) =>
      autopilots.crdMissing()
        ? warn('the Autopilot CRD is not installed (kubectl apply -f deploy/crds/)')(err)
        : warn('the watch on Autopilots broke (nothing is decided until it is back)')(err),
  });
  return {
    cache,
    autopilots,
    started: Promise.all([cache?.start(), autopilots.start()]),
    stop: async () => {
      await Promise.all([cache?.stop(), autopilots.stop()]);
    },
  };
}

/**
 * A warning for errors a retry loop meets again and again: each text is logged once every five
 * minutes, not at every retry.
 */
function warnEveryFiveMinutes(logger: Logger, clock: Clock) {
  const lastLogged = new Map<string, number>();
  return (text: string, fields: Record<string, unknown>, message: string) => {
    const now = clock.now();
    if ((lastLogged.get(text) ?? -Infinity) > now - 300_000) return;
    lastLogged.set(text, now);
    logger.warn({ ...fields, err: text }, message);
  };
}

/**
 * A LeaderElector when election is on: `true`, or `auto` in a pod (a Deployment may run
 * several replicas). Only against a real cluster: the simulator runs in one process.
 */
function leaderElection(
  config: QpilotConfig,
  ctx: {
    clock: Clock;
    kubeConfig?: KubeConfig;
    inCluster: boolean;
    logger: Logger;
    metrics: ServiceMetrics;
    onLost?: () => void;
  },
): LeaderElector | undefined {
  const on =
    config.leaderElection === 'true' || (config.leaderElection === 'auto' && ctx.inCluster);
  if (!on) return undefined;
  if (!ctx.kubeConfig) {
    ctx.logger.warn('leader election needs a real cluster; the simulator runs alone');
    return undefined;
  }
  const namespace = config.leaseNamespace ?? serviceAccountNamespace() ?? 'default';
  const identity = config.identity ?? `${hostname()}-${process.pid}`;
  const leaseDurationMs = config.leaseDurationSec * 1000;
  ctx.metrics.leader.set(0);
  return new LeaderElector({
    identity,
    clock: ctx.clock,
    leaseDurationMs,
    store: new KubeLeaseStore(
      ctx.kubeConfig,
      namespace,
      'qpilot-leader',
      config.kubeRequestTimeoutMs,
    ),
    onChange: (leader, holder) => {
      ctx.metrics.leader.set(leader ? 1 : 0);
      if (!leader) ctx.onLost?.();
      ctx.logger.info(
        { identity, leader, holder, lease: `${namespace}/qpilot-leader` },
        leader ? `${identity} leads: it acts on the cluster` : `${identity} is a standby`,
      );
    },
    onError: (err) =>
      ctx.logger.warn(
        { err: String(err) },
        'leader election: the Lease could not be read or written',
      ),
  });
}

/** What the hub tells the log: agents coming and going, duplicates, results nobody awaits. */
function hubEvents(logger: Logger, metrics: ServiceMetrics): HubEvents {
  return {
    registered: (cluster, agent, version) =>
      logger.info({ cluster, agent, version }, `agent ${agent} of cluster ${cluster} registered`),
    deregistered: (cluster, agent, reason) =>
      logger.info({ cluster, agent, reason }, `agent ${agent} of cluster ${cluster} deregistered`),
    ingested: (cluster, kind, items, duplicate) => {
      metrics.hubBatches.inc({ kind, duplicate: String(duplicate) });
      if (!duplicate) metrics.hubItems.inc({ kind }, items);
      logger[duplicate ? 'info' : 'debug'](
        { cluster, kind, items, duplicate },
        duplicate ? 'a batch arrived again; it was counted once' : 'batch ingested',
      );
    },
    unexpectedResult: (cluster, actionId, outcome, message) =>
      logger.warn(
        { cluster, actionId, outcome, message },
        'an agent reported a result no call awaits (late, or not sent by this hub)',
      ),
  };
}
