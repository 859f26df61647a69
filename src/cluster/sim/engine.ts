/**
 * The simulated cluster's machinery, advanced in fixed ticks: the deployment controller,
 * the scheduler, the kubelet (startup, readiness, crashes, OOM kills), the load model of
 * EVALUATION.md and metrics-server's scrapes. Synchronous and deterministic for a seed;
 * SimCluster wraps it in the asynchronous ClusterClient interface.
 */
import { Rng } from '../../core/rng.js';
import {
  DEFAULT_SIM_OPTIONS,
  type InjectedPodState,
  type SimOptions,
  type TickSample,
} from './model.js';
import {
  MAX_UTILISATION,
  mixtureP95QueueMs,
  mm1InFlight,
  mm1P95QueueMs,
} from '../../core/queueing.js';
import {
  type DeploymentState,
  type NodeState,
  type PdbState,
  type PodState,
  deletionOrder,
  isActive,
  podContainer,
  servingCores,
  sumRequests,
} from './state.js';

const CRASH_BACKOFF_BASE_MS = 10_000;
const CRASH_BACKOFF_MAX_MS = 300_000;
/** The kubelet forgets a container's crash history after it has run this long. */
const CRASH_BACKOFF_RESET_MS = 600_000;
/** A container stuck in CrashLoopBackOff runs this long before it dies again. */
const CRASH_RUN_MS = 5_000;

export class SimEngine {
  readonly options: Required<Omit<SimOptions, 'seed' | 'startMs'>>;
  readonly rng: Rng;
  readonly startMs: number;
  /** The time of the last tick processed. */
  nowMs: number;
  readonly nodes = new Map<string, NodeState>();
  readonly pods = new Map<string, PodState>();
  readonly deployments = new Map<string, DeploymentState>();
  readonly pdbs = new Map<string, PdbState>();
  readonly namespaces = new Set<string>(['default', 'kube-system']);
  /** Bumped by every change to an object, like etcd's revision. */
  revision = 1;
  private unscheduled: PodState[] = [];
  private terminating = new Set<PodState>();
  private orphans = new Set<PodState>();
  private schedulerDirty = false;
  private nextScrapeMs: number;
  private sortedPods: PodState[] | null = null;
  private uidCounter = 0;
  private nodeIndex = 0;

  constructor(startMs: number, options: SimOptions = {}) {
    this.options = { ...DEFAULT_SIM_OPTIONS, ...stripUndefined(options) };
    this.rng = new Rng(options.seed ?? 1);
    this.startMs = startMs;
    this.nowMs = startMs;
    // Scrapes fall on whole multiples of the resolution after the start, as a timer would.
    this.nextScrapeMs = startMs + this.options.metricsResolutionMs;
  }

  nextUid(): string {
    const n = (++this.uidCounter).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${n}`;
  }

  nextNodeIndex(): number {
    return this.nodeIndex++;
  }

  /** Something freed room or added a node: pending pods are worth another try. */
  wakeScheduler(): void {
    this.schedulerDirty = true;
  }

  touch<T extends { resourceVersion: number }>(obj: T): T {
    obj.resourceVersion = ++this.revision;
    return obj;
  }

  /** Pods sorted by namespace/name, for paging; rebuilt only after pods come or go. */
  podsSorted(): PodState[] {
    if (!this.sortedPods)
      this.sortedPods = [...this.pods.values()].sort((a, b) =>
        a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
      );
    return this.sortedPods;
  }

  // ---- pods coming and going -------------------------------------------------------------

  createPod(dep: DeploymentState): PodState {
    let name: string;
    do name = `${dep.name}-${dep.templateHash}-${this.rng.alphanumeric(5)}`;
    while (this.pods.has(`${dep.namespace}/${name}`));
    const containers = dep.containers.map(podContainer);
    const req = sumRequests(containers);
    const pod: PodState = {
      uid: this.nextUid(),
      name,
      namespace: dep.namespace,
      key: `${dep.namespace}/${name}`,
      labels: { ...dep.podLabels, 'pod-template-hash': dep.templateHash },
      annotations: {},
      owner: dep,
      templateGen: dep.templateGen,
      templateHash: dep.templateHash,
      containers,
      cpuRequestM: req.cpuM,
      memoryRequestB: req.memoryB,
      nodeName: null,
      podIp: null,
      phase: 'Pending',
      createdMs: this.nowMs,
      scheduledMs: null,
      containerStartMs: null,
      readyAtMs: null,
      ready: false,
      readySinceMs: null,
      waitingReason: null,
      lastTerminationReason: null,
      restartCount: 0,
      crashStreak: 0,
      backoffUntilMs: null,
      stuck: dep.failNewPodsWith,
      deletionMs: null,
      removeAtMs: null,
      unschedulableMessage: null,
      holdsNode: false,
      cpuCores: 0,
      memoryB: 0,
      cumCpuCoreSec: 0,
      scrapes: [],
      resourceVersion: 0,
    };
    this.touch(pod);
    dep.pods.push(pod);
    this.pods.set(pod.key, pod);
    this.sortedPods = null;
    this.unscheduled.push(pod);
    this.schedulerDirty = true;
    return pod;
  }

  /** Starts a pod's deletion; it shuts down within its grace period, or at once when 0. */
  deletePod(pod: PodState, gracePeriodMs: number): void {
    if (pod.deletionMs !== null && gracePeriodMs > 0) return;
    if (pod.owner) pod.owner.needsReconcile = true;
    if (
      gracePeriodMs <= 0 ||
      pod.nodeName === null ||
      pod.phase === 'Failed' ||
      pod.phase === 'Succeeded'
    ) {
      this.removePod(pod);
      return;
    }
    pod.deletionMs = this.nowMs;
    pod.ready = false;
    pod.removeAtMs =
      pod.stuck === 'Terminating'
        ? null
        : this.nowMs + Math.min(gracePeriodMs, this.shutdownDelay(pod));
    this.terminating.add(pod);
    this.touch(pod);
  }

  private shutdownDelay(pod: PodState): number {
    return pod.owner?.model.shutdownDelayMs ?? 2_000;
  }

  removePod(pod: PodState): void {
    this.releaseNode(pod);
    this.pods.delete(pod.key);
    this.sortedPods = null;
    this.terminating.delete(pod);
    this.orphans.delete(pod);
    const i = this.unscheduled.indexOf(pod);
    if (i >= 0) this.unscheduled.splice(i, 1);
    if (pod.owner) {
      const j = pod.owner.pods.indexOf(pod);
      if (j >= 0) pod.owner.pods.splice(j, 1);
      pod.owner.needsReconcile = true;
      this.touch(pod.owner);
    }
    this.revision++;
  }

  /** Detaches a pod whose labels no longer match its owner (the ReplicaSet lets it go). */
  orphan(pod: PodState): void {
    if (!pod.owner) return;
    const dep = pod.owner;
    dep.pods.splice(dep.pods.indexOf(pod), 1);
    dep.needsReconcile = true;
    pod.owner = null;
    this.orphans.add(pod);
  }

  private bind(pod: PodState, node: NodeState): void {
    pod.nodeName = node.name;
    pod.podIp = `10.244.${node.index}.${(node.nextIp++ % 250) + 2}`;
    pod.scheduledMs = this.nowMs;
    pod.unschedulableMessage = null;
    pod.holdsNode = true;
    node.cpuRequestedM += pod.cpuRequestM;
    node.memoryRequestedB += pod.memoryRequestB;
    node.podCount++;
    this.touch(pod);
  }

  releaseNode(pod: PodState): void {
    if (!pod.holdsNode || pod.nodeName === null) return;
    const node = this.nodes.get(pod.nodeName);
    pod.holdsNode = false;
    this.schedulerDirty = true;
    if (!node) return;
    node.cpuRequestedM -= pod.cpuRequestM;
    node.memoryRequestedB -= pod.memoryRequestB;
    node.podCount--;
  }

  /** Changes a bound pod's requests, keeping its node's totals right. */
  setPodRequests(pod: PodState, cpuM: number, memoryB: number): void {
    if (pod.holdsNode && pod.nodeName) {
      const node = this.nodes.get(pod.nodeName)!;
      node.cpuRequestedM += cpuM - pod.cpuRequestM;
      node.memoryRequestedB += memoryB - pod.memoryRequestB;
    }
    if (cpuM < pod.cpuRequestM || memoryB < pod.memoryRequestB) this.schedulerDirty = true;
    pod.cpuRequestM = cpuM;
    pod.memoryRequestB = memoryB;
    this.touch(pod);
  }

  /** Forces a pod into one of the failure states of seed 004, or an end phase. */
  inject(pod: PodState, state: InjectedPodState): void {
    pod.stuck = state;
    pod.ready = false;
    pod.readyAtMs = null;
    if (pod.owner) pod.owner.needsReconcile = true;
    switch (state) {
      case 'Pending':
        this.releaseNode(pod);
        pod.nodeName = null;
        pod.podIp = null;
        pod.phase = 'Pending';
        pod.containerStartMs = null;
        if (!this.unscheduled.includes(pod)) this.unscheduled.push(pod);
        pod.unschedulableMessage = 'the pod is held Pending (injected)';
        break;
      case 'ImagePullBackOff':
        pod.phase = 'Pending';
        pod.containerStartMs = null;
        pod.waitingReason = pod.nodeName ? 'ImagePullBackOff' : null;
        break;
      case 'CrashLoopBackOff':
        this.crash(pod, 'Error');
        break;
      case 'Terminating':
        if (pod.deletionMs === null) {
          pod.deletionMs = this.nowMs;
          this.terminating.add(pod);
        }
        pod.removeAtMs = null;
        break;
      case 'Failed':
      case 'Succeeded':
        this.releaseNode(pod);
        pod.phase = state;
        pod.containerStartMs = null;
        pod.waitingReason = null;
        break;
    }
    this.touch(pod);
  }

  private crash(pod: PodState, reason: string): void {
    pod.ready = false;
    pod.readyAtMs = null;
    pod.readySinceMs = null;
    pod.restartCount++;
    pod.crashStreak++;
    pod.lastTerminationReason = reason;
    pod.waitingReason = 'CrashLoopBackOff';
    pod.containerStartMs = null;
    pod.phase = 'Running';
    pod.backoffUntilMs =
      this.nowMs +
      Math.min(CRASH_BACKOFF_BASE_MS * 2 ** (pod.crashStreak - 1), CRASH_BACKOFF_MAX_MS);
    if (pod.owner) pod.owner.needsReconcile = true;
    this.touch(pod);
  }

  // ---- the tick ---------------------------------------------------------------------------

  tick(tMs: number): void {
    this.nowMs = tMs;
    const dt = this.options.tickMs / 1000;
    if (this.terminating.size > 0) this.finishTerminations(tMs);
    for (const dep of this.deployments.values()) {
      if (dep.needsReconcile || dep.rollingOut) this.reconcile(dep);
    }
    if (this.schedulerDirty && this.unscheduled.length > 0) this.schedule();
    for (const dep of this.deployments.values()) this.stepDeployment(dep, tMs, dt);
    for (const pod of this.orphans) this.stepLifecycle(pod, tMs);
    if (tMs >= this.nextScrapeMs) {
      this.scrape(tMs);
      this.nextScrapeMs += this.options.metricsResolutionMs;
    }
  }

  private finishTerminations(tMs: number): void {
    for (const pod of this.terminating) {
      if (pod.removeAtMs !== null && tMs >= pod.removeAtMs) this.removePod(pod);
    }
  }

  /** The Deployment and ReplicaSet controllers: replica count and rolling updates. */
  reconcile(dep: DeploymentState): void {
    dep.needsReconcile = false;
    const active = dep.pods.filter(isActive);
    const fresh = active.filter((p) => p.templateGen === dep.templateGen);
    const old = active.filter((p) => p.templateGen !== dep.templateGen);
    if (old.length === 0) {
      dep.rollingOut = false;
      const diff = dep.replicas - active.length;
      for (let i = 0; i < diff; i++) this.createPod(dep);
      if (diff < 0)
        for (const pod of active.sort(deletionOrder).slice(0, -diff)) this.deletePod(pod, 30_000);
    } else {
      dep.rollingOut = true;
      // RollingUpdate with the defaults maxSurge 25 % (rounded up) and maxUnavailable 25 % (down).
      let surge = Math.ceil(dep.replicas * 0.25);
      const maxUnavailable = Math.floor(dep.replicas * 0.25);
      if (surge === 0 && maxUnavailable === 0) surge = 1;
      const create = Math.min(dep.replicas + surge - active.length, dep.replicas - fresh.length);
      for (let i = 0; i < create; i++) this.createPod(dep);
      let ready = active.filter((p) => p.ready).length;
      const minAvailable = dep.replicas - maxUnavailable;
      for (const pod of old.sort(deletionOrder)) {
        if (!pod.ready) this.deletePod(pod, 30_000);
        else if (ready - 1 >= minAvailable) {
          this.deletePod(pod, 30_000);
          ready--;
        }
      }
      if (fresh.length > dep.replicas)
        for (const pod of fresh.sort(deletionOrder).slice(0, fresh.length - dep.replicas))
          this.deletePod(pod, 30_000);
    }
    this.touch(dep);
  }

  /** Binds pending pods to the least allocated node that fits their requests. */
  private schedule(): void {
    this.schedulerDirty = false;
    const nodes = [...this.nodes.values()];
    const still: PodState[] = [];
    for (const pod of this.unscheduled) {
      if (pod.stuck === 'Pending' || pod.deletionMs !== null) {
        still.push(pod);
        continue;
      }
      let best: NodeState | undefined;
      let bestScore = -Infinity;
      let noCpu = 0;
      let noMemory = 0;
      let full = 0;
      let cordoned = 0;
      for (const node of nodes) {
        if (node.unschedulable) {
          cordoned++;
          continue;
        }
        const freeCpu = node.cpuAllocatableM - node.cpuRequestedM - pod.cpuRequestM;
        const freeMemory = node.memoryAllocatableB - node.memoryRequestedB - pod.memoryRequestB;
        if (node.podCount >= node.maxPods) full++;
        else if (freeCpu < 0) noCpu++;
        else if (freeMemory < 0) noMemory++;
        else {
          const score = freeCpu / node.cpuAllocatableM + freeMemory / node.memoryAllocatableB;
          if (score > bestScore || (score === bestScore && best && node.name < best.name)) {
            best = node;
            bestScore = score;
          }
        }
      }
      if (best) this.bind(pod, best);
      else {
        const reasons = [
          cordoned && `${cordoned} node(s) were unschedulable`,
          noCpu && `${noCpu} Insufficient cpu`,
          noMemory && `${noMemory} Insufficient memory`,
          full && `${full} Too many pods`,
        ].filter(Boolean);
        const message = `0/${nodes.length} nodes are available: ${reasons.join(', ') || 'no nodes'}.`;
        if (message !== pod.unschedulableMessage) {
          pod.unschedulableMessage = message;
          this.touch(pod);
        }
        still.push(pod);
      }
    }
    this.unscheduled = still;
  }

  /** The kubelet's view of one pod: start, readiness, crash loops. True when it changed. */
  private stepLifecycle(pod: PodState, tMs: number): boolean {
    if (
      pod.nodeName === null ||
      pod.deletionMs !== null ||
      pod.phase === 'Failed' ||
      pod.phase === 'Succeeded'
    )
      return false;
    if (pod.stuck === 'ImagePullBackOff') return this.holdImagePull(pod);
    let changed = false;
    if (pod.containerStartMs === null) {
      if (pod.backoffUntilMs !== null && tMs < pod.backoffUntilMs) return false;
      this.startContainer(pod, tMs);
      changed = true;
    }
    const runningMs = tMs - pod.containerStartMs!;
    if (pod.stuck === 'CrashLoopBackOff') {
      if (runningMs >= CRASH_RUN_MS) this.crash(pod, 'Error');
      return true;
    }
    if (!pod.ready && pod.readyAtMs !== null && tMs >= pod.readyAtMs) {
      pod.ready = true;
      pod.readySinceMs = tMs;
      if (pod.owner?.rollingOut) pod.owner.needsReconcile = true;
      changed = true;
    }
    if (pod.crashStreak > 0 && runningMs >= CRASH_BACKOFF_RESET_MS) pod.crashStreak = 0;
    if (changed) {
      this.touch(pod);
      if (pod.owner) this.touch(pod.owner);
    }
    return changed;
  }

  private holdImagePull(pod: PodState): boolean {
    if (pod.waitingReason === 'ImagePullBackOff') return false;
    pod.waitingReason = 'ImagePullBackOff';
    this.touch(pod);
    return true;
  }

  private startContainer(pod: PodState, tMs: number): void {
    pod.backoffUntilMs = null;
    pod.containerStartMs = tMs;
    pod.phase = 'Running';
    pod.waitingReason = null;
    pod.readyAtMs = tMs + (pod.owner?.model.startupDelayMs ?? 0);
  }

  /** Reused every tick, so that the hot loop allocates nothing. */
  private readonly scratch = {
    ready: 0,
    cores: -1,
    uniform: true,
    cpuRequestM: 0,
    memoryRequestB: 0,
    served: 0,
    cpu: 0,
    memory: 0,
  };

  /** Lifecycle, then the load model: traffic spread evenly over Ready pods. */
  private stepDeployment(dep: DeploymentState, tMs: number, dt: number): void {
    const m = dep.model;
    this.surveyPods(dep, tMs);
    const rps = this.offeredRps(dep, tMs, dt);
    const sc = this.scratch;
    const p95 = this.p95Ms(dep, rps);
    this.serve(dep, sc.ready > 0 ? rps / sc.ready : 0, dt);
    const dropped = Math.max(0, rps - sc.served);
    const dropRatio = rps > 0 ? dropped / rps : 0;
    const tel = dep.telemetry;
    tel.simulatedSeconds += dt;
    tel.offeredRequests += rps * dt;
    tel.servedRequests += sc.served * dt;
    tel.droppedRequests += dropped * dt;
    tel.cpuRequestCoreSeconds += (sc.cpuRequestM / 1000) * dt;
    tel.memoryRequestByteSeconds += sc.memoryRequestB * dt;
    if (rps > 0 && (p95 > m.sloLatencyMs || dropRatio > m.sloMaxDropRatio))
      tel.sloViolationSeconds += dt;
    const sample: TickSample = tel.last;
    sample.tMs = tMs;
    sample.rps = rps;
    sample.readyPods = sc.ready;
    sample.pods = dep.pods.length;
    sample.p95LatencyMs = p95;
    sample.dropRatio = dropRatio;
    sample.cpuUsageCores = sc.cpu;
    sample.cpuRequestCores = sc.cpuRequestM / 1000;
    sample.memoryUsageBytes = sc.memory;
    dep.recent.record(tMs, rps, sc.served, p95);
    for (const listener of dep.listeners) listener(sample);
  }

  /** Steps every pod's lifecycle and counts what the tick needs: ready pods, their CPU, requests. */
  private surveyPods(dep: DeploymentState, tMs: number): void {
    const sc = this.scratch;
    sc.ready = 0;
    sc.cores = -1;
    sc.uniform = true;
    sc.cpuRequestM = 0;
    sc.memoryRequestB = 0;
    const pods = dep.pods;
    for (let i = 0; i < pods.length; i++) {
      const pod = pods[i]!;
      this.stepLifecycle(pod, tMs);
      if (pod.phase !== 'Failed' && pod.phase !== 'Succeeded') {
        sc.cpuRequestM += pod.cpuRequestM;
        sc.memoryRequestB += pod.memoryRequestB;
      }
      if (!pod.ready) continue;
      sc.ready++;
      const cores = servingCores(pod);
      if (sc.cores < 0) sc.cores = cores;
      else if (cores !== sc.cores) sc.uniform = false;
    }
  }

  /** The trace's rate for the interval ending at tMs (its rate at the interval's start), scaled and noised. */
  private offeredRps(dep: DeploymentState, tMs: number, dt: number): number {
    return offeredLoad(dep, tMs, dt, dep.noise);
  }

  /**
   * The load the Deployment will be offered in each of the next `ticks` ticks. The load does
   * not depend on what any controller does, so it can be told in advance; only the oracle of
   * the evaluation asks.
   */
  forecastLoad(dep: DeploymentState, ticks: number): Float64Array {
    const dt = this.options.tickMs / 1000;
    const noise = dep.noise.clone();
    const out = new Float64Array(ticks);
    for (let i = 0; i < ticks; i++)
      out[i] = offeredLoad(dep, this.nowMs + (i + 1) * this.options.tickMs, dt, noise);
    return out;
  }

  private p95Ms(dep: DeploymentState, rps: number): number {
    const m = dep.model;
    const sc = this.scratch;
    if (sc.ready === 0) return rps > 0 ? Number.POSITIVE_INFINITY : 0;
    const lambda = rps / sc.ready;
    if (!(lambda > 0)) return 0;
    if (sc.uniform)
      return m.baseLatencyMs + mm1P95QueueMs(lambda, sc.cores / m.cpuSecondsPerRequest);
    const lambdas: number[] = [];
    const mus: number[] = [];
    for (const pod of dep.pods) {
      if (!pod.ready) continue;
      lambdas.push(lambda);
      mus.push(servingCores(pod) / m.cpuSecondsPerRequest);
    }
    return m.baseLatencyMs + mixtureP95QueueMs(lambdas, mus);
  }

  /** Each Ready pod serves what it can of `lambda`; usage, memory and OOM kills follow. */
  private serve(dep: DeploymentState, lambda: number, dt: number): void {
    const m = dep.model;
    const sc = this.scratch;
    const idleCores = m.idleCpuMillicores / 1000;
    sc.served = 0;
    sc.cpu = 0;
    sc.memory = 0;
    const pods = dep.pods;
    for (let i = 0; i < pods.length; i++) {
      const pod = pods[i]!;
      if (pod.containerStartMs === null || pod.deletionMs !== null) {
        pod.cpuCores = 0;
        continue;
      }
      if (pod.ready) {
        const cores = servingCores(pod);
        const mu = cores / m.cpuSecondsPerRequest;
        const served = Math.min(lambda, mu);
        sc.served += served;
        pod.cpuCores = Math.min(cores, idleCores + served * m.cpuSecondsPerRequest);
        pod.memoryB = m.memoryBaseBytes + m.memoryPerInflightBytes * mm1InFlight(lambda, mu);
        const limit = pod.containers[0]?.memoryLimitB ?? 0;
        if (limit > 0 && pod.memoryB > limit) {
          this.crash(pod, 'OOMKilled');
          dep.telemetry.oomKills++;
        }
      } else {
        pod.cpuCores = idleCores;
        pod.memoryB = m.memoryBaseBytes;
      }
      pod.cumCpuCoreSec += pod.cpuCores * dt;
      sc.cpu += pod.cpuCores;
      sc.memory += pod.memoryB;
    }
  }

  /** metrics-server's scrape: the cumulative CPU counter and the working set of every running pod. */
  private scrape(tMs: number): void {
    const keep = 2 + Math.ceil(this.options.metricsLagMs / this.options.metricsResolutionMs);
    for (const pod of this.pods.values()) {
      if (pod.containerStartMs === null || pod.deletionMs !== null) continue;
      pod.scrapes.push({ tMs, cumCpuCoreSec: pod.cumCpuCoreSec, memoryB: pod.memoryB });
      if (pod.scrapes.length > keep) pod.scrapes.shift();
    }
  }

  /**
   * The usage metrics-server would serve now: the CPU rate between the last two scrapes that
   * are old enough to have been published, and the working set at the later one. Undefined
   * until a pod has two such scrapes, as with the real metrics-server.
   */
  /** When the scrape metrics-server serves for a pod now was taken; undefined before two scrapes. */
  publishedScrapeMs(pod: PodState, nowMs: number): number | undefined {
    const published = nowMs - this.options.metricsLagMs;
    const s = pod.scrapes;
    for (let i = s.length - 1; i >= 1; i--) if (s[i]!.tMs <= published) return s[i]!.tMs;
    return undefined;
  }

  podUsage(
    pod: PodState,
    nowMs: number,
  ): { cpuCores: number; memoryB: number; tMs: number; windowMs: number } | undefined {
    const published = nowMs - this.options.metricsLagMs;
    const s = pod.scrapes;
    for (let i = s.length - 1; i >= 1; i--) {
      const b = s[i]!;
      if (b.tMs > published) continue;
      const a = s[i - 1]!;
      const windowMs = b.tMs - a.tMs;
      return {
        cpuCores: (b.cumCpuCoreSec - a.cumCpuCoreSec) / (windowMs / 1000),
        memoryB: b.memoryB,
        tMs: b.tMs,
        windowMs,
      };
    }
    return undefined;
  }

  /** The highest utilisation the queueing model allows, for documentation and tests. */
  static readonly maxUtilisation = MAX_UTILISATION;
}

function offeredLoad(dep: DeploymentState, tMs: number, dt: number, noise: Rng): number {
  const m = dep.model;
  if (!m.trace) return 0;
  const intervalStartSec = (tMs - dt * 1000 - dep.loadStartMs) / 1000;
  const rps = m.trace.rpsAt(m.traceOffsetSec + intervalStartSec, m.loop) * m.loadScale;
  return m.noiseCv > 0 ? rps * Math.max(0, 1 + m.noiseCv * noise.normal()) : rps;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
