/** A small simulated cluster behind a built app, for route tests. */
import { untilSettled } from '../../cluster/testing/untilSettled.js';
import type { FastifyInstance } from 'fastify';
import type { ClusterClient } from '../../cluster/clusterClient.js';
import { SimCluster } from '../../cluster/sim/simCluster.js';
import { DEFAULT_CONFIG, type QpilotConfig } from '../../config/config.js';
import { ManualClock } from '../../core/clock.js';
import { Trace } from '../../traces/trace.js';
import type { ServingModels } from '../../policies/servingModels.js';
import { buildApp } from '../app.js';
import type { HubDeps } from '../deps.js';
import { ServiceMetrics } from '../../metrics/serviceMetrics.js';
import { createSampler } from '../sampling.js';
import { MemorySampleStore } from '../../store/sampleStore.js';
import { ScalingService } from '../../controller/scalingService.js';
import { DEFAULT_SETTINGS, type ScalingSettings } from '../../controller/settings.js';
import { servingPolicies } from '../../policies/servingPolicies.js';
import { type DecisionLog, MemoryDecisionLog } from '../../store/decisionLog.js';
import type { Store } from '../../store/openStore.js';
import type { FleetMember } from '../../controller/fleet.js';

export interface SimApp {
  app: FastifyInstance;
  sim: SimCluster;
  clock: ManualClock;
  config: QpilotConfig;
  scaling: ScalingService;
  /** The fleet's cluster, when asked for (`fleetMember`). */
  member?: FleetMember;
  advance(ms: number): void;
  /** Resolves `p` while time passes a second at a time and the changes in flight are looked at. */
  settle<T>(p: Promise<T>): Promise<T>;
}

export async function simApp(
  options: {
    config?: Partial<QpilotConfig>;
    cluster?: (sim: SimCluster) => ClusterClient;
    models?: ServingModels;
    settings?: Partial<ScalingSettings>;
    log?: DecisionLog;
    requestTimeoutMs?: number;
    /** The hub of issue 13 (its routes are absent without it). */
    hub?: HubDeps;
    /**
     * A cluster of the fleet under this id (ADR 17), steered by a controller of its own over
     * the same simulated cluster, with its own view of the decision log.
     */
    fleetMember?: string;
    /** A real store (SQLite, PostgreSQL) instead of memory. */
    store?: Pick<Store, 'decisions' | 'samples' | 'policyStates'> &
      Partial<Pick<Store, 'ping' | 'description'>>;
  } = {},
): Promise<SimApp> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'api' });
  for (const name of ['node-1', 'node-2']) sim.addNode({ name, cpu: '4', memory: '16Gi' });
  const load = new Trace('flat', Float64Array.from([0, 60]), Float64Array.from([60, 60]));
  sim.createDeployment({
    name: 'web',
    replicas: 2,
    labels: { app: 'web' },
    containers: [
      {
        name: 'nginx',
        image: 'nginx:1.27',
        requests: { cpu: '250m', memory: '128Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      },
    ],
    model: { trace: load, noiseCv: 0 },
  });
  sim.createNamespace('prod');
  sim.createDeployment({
    namespace: 'prod',
    name: 'api',
    replicas: 1,
    containers: [{ name: 'api', requests: { cpu: '500m', memory: '256Mi' } }],
  });
  clock.advance(120_000);
  const config: QpilotConfig = {
    ...DEFAULT_CONFIG,
    namespaces: ['default'],
    targetDeployment: 'web',
    ...options.config,
  };
  const cluster = options.cluster ? options.cluster(sim) : sim;
  const metrics = new ServiceMetrics({ processMetrics: false });
  const log = options.store?.decisions ?? options.log ?? new MemoryDecisionLog();
  const controller = (decisions: DecisionLog) =>
    new ScalingService({
      observer: metrics.observer,
      cluster,
      clock,
      settings: {
        ...DEFAULT_SETTINGS,
        namespaces: config.namespaces,
        autoScaleEnabled: false,
        ...options.settings,
      },
      policy: servingPolicies(options.models),
      log: decisions,
      policyStates: options.store?.policyStates,
      verifyTimeoutMs: 60_000,
    });
  const scaling = controller(log);
  const member = options.fleetMember
    ? { id: options.fleetMember, cluster, scaling: controller(log.forCluster(options.fleetMember)) }
    : undefined;
  const samples = options.store?.samples ?? new MemorySampleStore();
  const sampler = createSampler(cluster, clock, samples);
  const app = await buildApp({
    metrics,
    scaling,
    sampler,
    samples,
    ...(options.store?.ping && options.store.description
      ? { store: { description: options.store.description, ping: options.store.ping } }
      : {}),
    cluster,
    clock,
    config,
    version: '0.0.0-test',
    logger: false,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    models: options.models,
    ...(options.hub ? { hub: options.hub } : {}),
    ...(member
      ? { fleet: { member: (id: string) => (id === member.id ? member : undefined) } }
      : {}),
  });
  return {
    app,
    sim,
    clock,
    config,
    scaling,
    ...(member ? { member } : {}),
    advance: (ms) => {
      clock.advance(ms);
      sim.sync();
    },
    settle: (p) => untilSettled(clock, scaling.actuator, p),
  };
}

/** A ClusterClient whose every call fails with `error`, built on a real one for its shape. */
export function failingCluster(base: ClusterClient, error: () => Error): ClusterClient {
  return new Proxy(base, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return () => Promise.reject(error());
    },
  });
}
