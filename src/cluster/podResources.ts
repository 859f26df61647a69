/**
 * A pod's resources counted as Kubernetes 1.35 counts them, in one place:
 *
 * - `podRequests` / `podLimits`: what a pod holds on its node, as the scheduler and
 *   `kubectl describe node` count it (k8s.io/component-helpers resource.PodRequests and
 *   kubectl's PodRequestsAndLimits): app containers summed; sidecars (init containers with
 *   restartPolicy Always) added; a regular init container needs itself plus the sidecars
 *   started before it, and the pod needs at least the largest of those; pod-level requests
 *   replace the containers' sum; the overhead of the pod's RuntimeClass is added to requests,
 *   and to limits only where a limit is set; a resized pod counts the larger of what its spec
 *   asks and what it has (status resources, allocated resources) unless the resize is
 *   infeasible.
 * - `utilizationRequest`: what the HPA divides usage by (calculateRequests): containers and
 *   sidecars summed, or the pod-level request plus overhead; missing when a container has none.
 * - `defaultedPodSpec`: what the API server's defaulting gives a pod created from a template
 *   (SetDefaults_Pod): a limit without a request becomes the request. Templates are not
 *   defaulted, pods are.
 */
import type {
  V1Container,
  V1ContainerStatus,
  V1Pod,
  V1PodSpec,
  V1ResourceRequirements,
} from '@kubernetes/client-node';
import type { ContainerResources, UtilizationRequest } from '../core/workload.js';
import { parseCpu, parseMemory } from './quantity.js';

type Resource = 'cpu' | 'memory';
const RESOURCES: readonly Resource[] = ['cpu', 'memory'];

/** Amounts by resource; a resource is absent when nothing sets it. */
type Amounts = Partial<Record<Resource, number>>;

export interface PodTotals {
  cpuMillicores: number;
  memoryBytes: number;
}

function parse(resource: Resource, q: unknown): number | undefined {
  if ((typeof q !== 'string' && typeof q !== 'number') || q === '') return undefined;
  return resource === 'cpu' ? parseCpu(String(q)) : parseMemory(String(q));
}

function amounts(list: Record<string, unknown> | undefined): Amounts {
  const out: Amounts = {};
  for (const r of RESOURCES) {
    const v = parse(r, list?.[r]);
    if (v !== undefined) out[r] = v;
  }
  return out;
}

function add(into: Amounts, other: Amounts): void {
  for (const r of RESOURCES) if (other[r] !== undefined) into[r] = (into[r] ?? 0) + other[r];
}

function maxInto(into: Amounts, other: Amounts): void {
  for (const r of RESOURCES)
    if (other[r] !== undefined && (into[r] === undefined || other[r] > into[r])) into[r] = other[r];
}

const isSidecar = (c: V1Container) => c.restartPolicy === 'Always';

function resizeInfeasible(pod: V1Pod): boolean {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodResizePending');
  return c?.reason === 'Infeasible';
}

/** determineEffectiveRequests: max(spec, actuated, allocated), or max(actuated, allocated) when infeasible. */
function effectiveRequests(
  pod: V1Pod,
  container: V1Container,
  status: V1ContainerStatus | undefined,
): Amounts {
  const spec = amounts(container.resources?.requests);
  if (!status?.resources) return spec;
  const out = resizeInfeasible(pod) ? {} : spec;
  maxInto(out, amounts(status.resources.requests));
  maxInto(out, amounts(status.allocatedResources));
  return out;
}

function statusesByName(pod: V1Pod): Map<string, V1ContainerStatus> {
  const m = new Map<string, V1ContainerStatus>();
  for (const s of pod.status?.containerStatuses ?? []) m.set(s.name, s);
  for (const s of pod.status?.initContainerStatuses ?? []) m.set(s.name, s);
  return m;
}

/** AggregateContainerRequests / AggregateContainerLimits, with the sidecar formula. */
function aggregate(pod: V1Pod, read: (c: V1Container) => Amounts): Amounts {
  const total: Amounts = {};
  for (const c of pod.spec?.containers ?? []) add(total, read(c));
  const sidecars: Amounts = {};
  const init: Amounts = {};
  for (const c of pod.spec?.initContainers ?? []) {
    const own = read(c);
    if (isSidecar(c)) {
      add(total, own);
      add(sidecars, own);
      maxInto(init, sidecars);
    } else {
      const need: Amounts = {};
      add(need, own);
      add(need, sidecars);
      maxInto(init, need);
    }
  }
  maxInto(total, init);
  return total;
}

function podLevel(
  pod: V1Pod,
  kind: keyof Pick<V1ResourceRequirements, 'requests' | 'limits'>,
): Amounts {
  return amounts(pod.spec?.resources?.[kind]);
}

const totals = (a: Amounts): PodTotals => ({
  cpuMillicores: a.cpu ?? 0,
  memoryBytes: a.memory ?? 0,
});

/** The scheduler's count (PodRequests with status resources, pod-level requests, overhead). */
function requestAmounts(pod: V1Pod, useStatus: boolean): Amounts {
  const statuses = useStatus ? statusesByName(pod) : undefined;
  const reqs = aggregate(pod, (c) =>
    statuses && (isSidecar(c) || (pod.spec?.containers ?? []).includes(c))
      ? effectiveRequests(pod, c, statuses.get(c.name))
      : amounts(c.resources?.requests),
  );
  const level = podLevel(pod, 'requests');
  for (const r of RESOURCES) if (level[r] !== undefined) reqs[r] = level[r];
  add(reqs, amounts(pod.spec?.overhead));
  return reqs;
}

export interface PodAccounting {
  requests: PodTotals;
  limits: PodTotals;
  utilizationRequest: UtilizationRequest;
  /** The app containers' own requests and limits (what a vertical decision changes). */
  containers: ContainerResources[];
}

/**
 * Per pod object: the simulator hands out the same object until the pod changes, and parsing
 * quantity strings is what observing thousands of pods spends its time on.
 */
const cache = new WeakMap<V1Pod, PodAccounting>();

/** A pod's requests and limits as the scheduler and kubectl count them, and the HPA's request. */
export function podAccounting(pod: V1Pod): PodAccounting {
  let a = cache.get(pod);
  if (!a) {
    a = {
      requests: totals(requestAmounts(pod, true)),
      limits: limitTotals(pod),
      utilizationRequest: utilizationRequest(pod),
      containers: containerResources(pod.spec),
    };
    cache.set(pod, a);
  }
  return a;
}

export const podRequests = (pod: V1Pod): PodTotals => podAccounting(pod).requests;
export const podLimits = (pod: V1Pod): PodTotals => podAccounting(pod).limits;

/** kubectl's PodLimits: the spec's limits, sidecars and init containers counted alike; overhead only on set limits. */
function limitTotals(pod: V1Pod): PodTotals {
  const limits = aggregate(pod, (c) => amounts(c.resources?.limits));
  const overhead = amounts(pod.spec?.overhead);
  for (const r of RESOURCES)
    if (limits[r] !== undefined && limits[r] !== 0 && overhead[r] !== undefined)
      limits[r] += overhead[r];
  return totals(limits);
}

/** calculateRequests for CPU and memory (replica_calculator.go). */
export function utilizationRequest(pod: V1Pod): UtilizationRequest {
  const name = pod.metadata?.name ?? '';
  const out: UtilizationRequest = {};
  const levelSet = Object.keys(podLevel(pod, 'requests')).length > 0;
  if (levelSet) {
    // calculatePodLevelRequests: PodRequests without status resources, overhead included.
    const reqs = requestAmounts(pod, false);
    for (const r of RESOURCES) {
      if (reqs[r] !== undefined) setRequest(out, r, reqs[r]);
      else setMissing(out, r, `missing pod-level request for ${r} in Pod ${name}`);
    }
    return out;
  }
  const containers = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter(isSidecar),
  ];
  for (const r of RESOURCES) {
    let sum = 0;
    const missing = containers.find((c) => parse(r, c.resources?.requests?.[r]) === undefined);
    if (missing) {
      setMissing(out, r, `missing request for ${r} in container ${missing.name} of Pod ${name}`);
      continue;
    }
    for (const c of containers) sum += parse(r, c.resources?.requests?.[r])!;
    setRequest(out, r, sum);
  }
  return out;
}

function setRequest(out: UtilizationRequest, r: Resource, value: number): void {
  if (r === 'cpu') out.cpuMillicores = value;
  else out.memoryBytes = value;
}

function setMissing(out: UtilizationRequest, r: Resource, why: string): void {
  if (r === 'cpu') out.cpuMissing = why;
  else out.memoryMissing = why;
}

function defaultContainer(c: V1Container): V1Container {
  const limits = c.resources?.limits;
  if (!limits || Object.keys(limits).length === 0) return c;
  const requests = { ...c.resources?.requests };
  for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
  return { ...c, resources: { ...c.resources, requests } };
}

/** The spec a pod created from this template gets once the API server has defaulted it. */
export function defaultedPodSpec(template: V1PodSpec | undefined): V1PodSpec {
  const spec = template ?? { containers: [] };
  return {
    ...spec,
    containers: (spec.containers ?? []).map(defaultContainer),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(defaultContainer) } : {}),
  };
}

/** The app containers' requests and limits in domain units (what a vertical decision changes). */
export function containerResources(spec: V1PodSpec | undefined): ContainerResources[] {
  return (spec?.containers ?? []).map((c) => {
    const req = amounts(c.resources?.requests);
    const lim = amounts(c.resources?.limits);
    return {
      name: c.name,
      requests: {
        ...(req.cpu !== undefined ? { cpuMillicores: req.cpu } : {}),
        ...(req.memory !== undefined ? { memoryBytes: req.memory } : {}),
      },
      limits: {
        ...(lim.cpu !== undefined ? { cpuMillicores: lim.cpu } : {}),
        ...(lim.memory !== undefined ? { memoryBytes: lim.memory } : {}),
      },
    };
  });
}

const templates = new Map<string, PodAccounting>();

/**
 * What a new pod of a Deployment's template holds (the API server's defaulting applied),
 * remembered by the Deployment's uid and generation (a spec change bumps it), else by the
 * template's resources: a cycle reads a thousand templates that rarely change.
 */
export function templateAccounting(
  template: V1PodSpec | undefined,
  version?: { uid?: string; generation?: number },
): PodAccounting {
  const key =
    version?.uid && version.generation !== undefined
      ? `${version.uid}/${version.generation}`
      : JSON.stringify([
          template?.containers?.map((c) => [c.name, c.resources]),
          template?.initContainers?.map((c) => [c.name, c.restartPolicy, c.resources]),
          template?.resources,
          template?.overhead,
        ]);
  let a = templates.get(key);
  if (!a) {
    if (templates.size >= 4096) templates.clear();
    a = podAccounting({ spec: defaultedPodSpec(template) });
    templates.set(key, a);
  }
  return a;
}
