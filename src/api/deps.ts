/** What the HTTP API is built from; `buildApp` never reaches for anything else. */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { ClusterClient } from '../cluster/clusterClient.js';
import type { QpilotConfig } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { Leadership, ScalingService } from '../controller/scalingService.js';
import type { MetricsSampler } from '../controller/sampler.js';
import type { SampleStore } from '../store/sampleStore.js';
import type { ServiceMetrics } from '../metrics/serviceMetrics.js';
import type { PrometheusSource } from '../metrics/prometheus.js';
import type { ServingModels } from '../policies/servingModels.js';
import type { Switchboard } from '../cluster/agent/switchboard.js';
import type { HubStore } from '../store/hubStore.js';
import type { AgentHub } from './hub/agentHub.js';
import type { FleetMember } from '../controller/fleet.js';
import type { NodeReportCache } from './nodeReportCache.js';

/**
 * What a cluster's routes act on (ADR 17): the home cluster for `/config`, `/decisions`…,
 * or one cluster of the fleet for `/clusters/:cluster/config`, `/clusters/:cluster/decisions`….
 */
export interface ClusterScope {
  /** The cluster's id in the hub; '' for the home cluster when it is not steered through an agent. */
  id: string;
  cluster: ClusterClient;
  scaling: ScalingService;
  /** Seed 001's node report of this cluster, cached briefly. */
  nodeReport: NodeReportCache;
}

/** The scope a request is for (its route's prefix says which cluster). */
export type ScopeOf = (request: FastifyRequest) => ClusterScope;

/** The hub of issue 13: the clusters steered through agents, and the agents' channels. */
export interface HubDeps {
  hub: AgentHub;
  switchboard: Switchboard;
  store: HubStore;
  /** An agent's WebSocket opened or closed (for logs and metrics). */
  onSocket?(clusterId: string, agentId: string, open: boolean): void;
  /**
   * Leader election among replicas: the agents' channels belong to the leader, whose
   * controllers steer their clusters; a standby answers agents 503 (they retry, and reach the
   * leader through the Service).
   */
  leadership?: Leadership;
}

export interface AppDeps {
  cluster: ClusterClient;
  clock: Clock;
  /** Read at request time, so that a configuration change applies to the next request. */
  config: QpilotConfig;
  version: string;
  logger?: FastifyBaseLogger | false;
  /** Request latency, CPU and memory from Prometheus, when one is configured. */
  prometheus?: PrometheusSource;
  /** The learned policies' models and whether they loaded. */
  models?: ServingModels;
  /** The settings, the control loop and the decision log. */
  scaling: ScalingService;
  /** qpilot's own Prometheus metrics, served on GET /metrics. */
  metrics: ServiceMetrics;
  /** Seed 004's sampler and the series it stored. */
  sampler: MetricsSampler;
  samples: SampleStore;
  /** The database behind the decisions and samples, for /health and /ready; none in memory. */
  store?: { description: string; ping(): Promise<void> };
  /** For GET /config: where the models come from, and whether qpilot runs in a pod. */
  modelPath?: string;
  inCluster?: boolean;
  /** The hub for in-cluster agents; its routes are absent without it. */
  hub?: HubDeps;
  /** The clusters steered besides the home one, each through its agent (ADR 17). */
  fleet?: { member(clusterId: string): FleetMember | undefined };
  /** The hub's id of the home cluster, when it is steered through an agent (--agent-cluster). */
  homeClusterId?: string;
  /** How long a request may take to arrive whole (10 s); shorter in tests. */
  requestTimeoutMs?: number;
}
