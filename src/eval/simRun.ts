/**
 * One workload in the simulator, driven the way qpilot drives a real one: observe through the
 * ClusterClient, make a decision through the actuator the control loop uses (recorded, made,
 * its rollout tracked), let one interval pass, and measure that interval's service level and
 * cost. The evaluator and the training environments both run on it, so a policy is trained on
 * exactly what it is judged by, and both on what production runs.
 */
import { Actuator } from '../cluster/actuator.js';
import type { WorkloadModel } from '../cluster/sim/model.js';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { parseCpu } from '../cluster/quantity.js';
import { decisionMetrics, observeWorkload } from '../cluster/workloadReading.js';
import { ManualClock } from '../core/clock.js';
import { isQpError } from '../core/errors.js';
import { type IntervalOutcome, type TickLoad, intervalOutcome } from '../core/slo.js';
import type { ServiceLevelObjective, WorkloadObservation } from '../core/workload.js';
import {
  type OracleForecast,
  type OracleModel,
  maxRpsWithinSlo,
} from '../policies/oracle/oracle.js';
import type { PolicyDecision } from '../policies/types.js';
import { MemoryDecisionLog } from '../store/decisionLog.js';
import type { Trace } from '../traces/trace.js';

/** The workload policies are measured on (see docs/evaluation.md). */
export interface EvalWorkload {
  cpu: string;
  memory: string;
  /** Limits equal requests: Guaranteed pods, so that utilisation of the request is utilisation of the pod. */
  model: Partial<WorkloadModel>;
  /** Replicas for vertical policies, which do not scale out. */
  verticalReplicas: number;
}

export const DEFAULT_EVAL_WORKLOAD: EvalWorkload = {
  cpu: '500m',
  memory: '256Mi',
  model: {
    noiseCv: 0.03,
    startupDelayMs: 30_000,
    cpuSecondsPerRequest: 0.005,
    baseLatencyMs: 20,
    sloLatencyMs: 200,
    sloMaxDropRatio: 0.001,
    idleCpuMillicores: 5,
  },
  verticalReplicas: 4,
};

export const NAMESPACE = 'eval';
export const NAME = 'app';
const WARMUP_MS = 120_000;
const TICK_MS = 1000;

export interface SimRunOptions {
  /** Already scaled to the load wanted. */
  trace: Trace;
  seed: number | string;
  stepMs: number;
  workload: EvalWorkload;
  initialReplicas: number | ((perPodRps: number, firstRps: number) => number);
  /**
   * Whether observations carry the workload's p95 latency and drops, as a Prometheus scraping
   * its request histogram would give them (default true).
   */
  latencySignal?: boolean;
}

export interface IntervalResult extends IntervalOutcome {
  /** Pods that existed during the interval, on average (what was paid for). */
  pods: number;
  /** Pods the interval's load needs at the SLO's limit, on average. */
  idealPods: number;
}

export class SimRun {
  readonly clock: ManualClock;
  readonly sim: SimCluster;
  readonly startMs = Date.UTC(2026, 0, 1);
  readonly model: Required<
    Pick<
      WorkloadModel,
      | 'cpuSecondsPerRequest'
      | 'baseLatencyMs'
      | 'sloLatencyMs'
      | 'sloMaxDropRatio'
      | 'startupDelayMs'
    >
  >;
  readonly podCores: number;
  readonly perPodRps: number;
  readonly actuator: Actuator;
  private readonly interval: TickLoad[] = [];
  private lastCost = 0;

  constructor(readonly options: SimRunOptions) {
    this.clock = new ManualClock(this.startMs);
    this.sim = new SimCluster(this.clock, {
      seed: options.seed,
      startMs: this.startMs - WARMUP_MS,
      tickMs: TICK_MS,
    });
    for (let i = 0; i < 8; i++)
      this.sim.addNode({ name: `eval-node-${i}`, cpu: '64', memory: '256Gi' });
    this.sim.createNamespace(NAMESPACE);
    const w = options.workload;
    this.model = {
      cpuSecondsPerRequest: 0.005,
      baseLatencyMs: 20,
      sloLatencyMs: 200,
      sloMaxDropRatio: 0.001,
      startupDelayMs: 30_000,
      ...stripUndefined(w.model),
    };
    this.podCores = parseCpu(w.cpu) / 1000;
    this.perPodRps = maxRpsWithinSlo(
      this.podCores,
      this.model.cpuSecondsPerRequest,
      this.model.baseLatencyMs,
      this.model.sloLatencyMs,
    );
    if (!(this.perPodRps > 0))
      throw new RangeError('the SLO is below the base latency: no number of pods can meet it');
    const initial =
      typeof options.initialReplicas === 'number'
        ? options.initialReplicas
        : options.initialReplicas(this.perPodRps, options.trace.rpsAt(0, false));
    this.sim.createDeployment({
      namespace: NAMESPACE,
      name: NAME,
      replicas: initial,
      containers: [
        {
          name: 'app',
          requests: { cpu: w.cpu, memory: w.memory },
          limits: { cpu: w.cpu, memory: w.memory },
        },
      ],
      model: { ...w.model, trace: options.trace, loop: false, traceOffsetSec: -WARMUP_MS / 1000 },
    });
    this.sim.onTick(NAMESPACE, NAME, (s) => {
      if (s.tMs > this.startMs)
        this.interval.push({
          offered: s.rps,
          served: s.rps * (1 - s.dropRatio),
          p95LatencyMs: s.p95LatencyMs,
        });
    });
    this.sim.sync();
    this.lastCost = this.sim.telemetry(NAMESPACE, NAME).cpuRequestCoreSeconds;
    // Records kept in memory, a few: a run makes thousands of decisions and reads none back.
    this.actuator = new Actuator({
      cluster: this.sim,
      clock: this.clock,
      journal: new MemoryDecisionLog(64),
    });
  }

  get oracleModel(): OracleModel {
    return { podCores: this.podCores, ...this.model };
  }

  /** The exact load of the next `steps` intervals, for the oracle. */
  forecast(steps: number): OracleForecast {
    const ticksPerStep = this.options.stepMs / TICK_MS;
    return {
      startMs: this.clock.now(),
      stepMs: this.options.stepMs,
      ticksPerStep,
      loadPerTick: this.sim.forecastLoad(NAMESPACE, NAME, steps * ticksPerStep),
    };
  }

  /** The workload's SLO, as its qpilot.io/slo-* annotations would state it. */
  get slo(): ServiceLevelObjective {
    return { latencyP95Ms: this.model.sloLatencyMs, maxDropRatio: this.model.sloMaxDropRatio };
  }

  async observe(): Promise<WorkloadObservation> {
    const o = await observeWorkload(this.sim, this.clock, NAMESPACE, NAME);
    if (this.options.latencySignal === false) return o;
    const service = await this.sim.serviceSignals(NAMESPACE, NAME);
    return service ? { ...o, service } : o;
  }

  /** Lets one interval pass and measures it. */
  advance(): IntervalResult {
    this.clock.advance(this.options.stepMs);
    this.sim.sync();
    const outcome = intervalOutcome(
      this.interval,
      this.model.baseLatencyMs,
      this.model.sloLatencyMs,
      this.model.sloMaxDropRatio,
    );
    const ticks = this.interval.length;
    this.interval.length = 0;
    const cost = this.sim.telemetry(NAMESPACE, NAME).cpuRequestCoreSeconds;
    const seconds = this.options.stepMs / 1000;
    const pods = (cost - this.lastCost) / (this.podCores * seconds);
    this.lastCost = cost;
    const avgRps = ticks > 0 ? outcome.offered / ticks : 0;
    return { ...outcome, pods, idealPods: avgRps / this.perPodRps };
  }

  /** Whether the workload's last change is still rolling out (the loop leaves it alone meanwhile). */
  inFlight(): boolean {
    return this.actuator.changeInFlight(NAMESPACE, NAME) !== undefined;
  }

  /** Settles the changes whose rollout finished (what the actuator's poller does between cycles). */
  settle(): Promise<void> {
    return this.actuator.poll();
  }

  /** Makes a (guarded) decision through the actuator, as the controller does; returns the changes made. */
  async apply(d: PolicyDecision, observation?: WorkloadObservation): Promise<number> {
    if (!d.canScale) return 0;
    const metrics = observation
      ? decisionMetrics(observation)
      : { cpuUsageMillicores: 0, memoryUsageBytes: 0, cpuLimitMillicores: 0, memoryLimitBytes: 0 };
    try {
      await this.actuator.apply(d, { metrics });
      return 1;
    } catch (err) {
      // A pod that is not running, or a node without room, keeps its size this time.
      if (!isQpError(err)) throw err;
      return 0;
    }
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
