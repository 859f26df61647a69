/**
 * The node report of seed 001: per node, CPU (millicores) and RAM (bytes) capacity,
 * allocatable, and the requests and limits committed by its pods that are neither Failed nor
 * Succeeded, each with its percentage of allocatable, counted as `kubectl describe node`
 * counts them (podResources.ts). Pods are read page by page.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { type ClusterClient, listAll } from './clusterClient.js';
import { podAccounting } from './podResources.js';
import { parseCpu, parseMemory } from './quantity.js';

export interface InstrumentedValue {
  InstrumentedValue: number;
  Percent: number;
}

export interface ResourceReport {
  Capacity: number;
  Allocatable: number;
  Requests: InstrumentedValue;
  Limits: InstrumentedValue;
}

export interface NodeReportEntry {
  NodeName: string;
  CPU: ResourceReport;
  RAM: ResourceReport;
}

export interface NodeReport {
  Nodes: NodeReportEntry[];
}

export const ACTIVE_POD_FIELD_SELECTOR = 'status.phase!=Failed,status.phase!=Succeeded';

function percent(value: number, of: number): number {
  return of > 0 ? (value / of) * 100 : 0;
}

function resource(
  capacity: number,
  allocatable: number,
  requests: number,
  limits: number,
): ResourceReport {
  return {
    Capacity: capacity,
    Allocatable: allocatable,
    Requests: { InstrumentedValue: requests, Percent: percent(requests, allocatable) },
    Limits: { InstrumentedValue: limits, Percent: percent(limits, allocatable) },
  };
}

/** Computes the report from already-listed nodes and pods (pods on unknown nodes are ignored). */
export function nodeReportFrom(nodes: readonly V1Node[], pods: readonly V1Pod[]): NodeReport {
  const sums = new Map<
    string,
    { cpuReq: number; cpuLim: number; memReq: number; memLim: number }
  >();
  for (const node of nodes)
    sums.set(node.metadata?.name ?? '', { cpuReq: 0, cpuLim: 0, memReq: 0, memLim: 0 });
  for (const pod of pods) {
    const phase = pod.status?.phase;
    if (phase === 'Failed' || phase === 'Succeeded') continue;
    const sum = sums.get(pod.spec?.nodeName ?? '');
    if (!sum) continue;
    const { requests, limits } = podAccounting(pod);
    sum.cpuReq += requests.cpuMillicores;
    sum.cpuLim += limits.cpuMillicores;
    sum.memReq += requests.memoryBytes;
    sum.memLim += limits.memoryBytes;
  }
  return {
    Nodes: nodes.map((node) => {
      const name = node.metadata?.name ?? '';
      const s = sums.get(name)!;
      const cap = node.status?.capacity ?? {};
      const alloc = node.status?.allocatable ?? cap;
      const cpuCap = cap.cpu ? parseCpu(cap.cpu) : 0;
      const memCap = cap.memory ? parseMemory(cap.memory) : 0;
      const cpuAlloc = alloc.cpu ? parseCpu(alloc.cpu) : cpuCap;
      const memAlloc = alloc.memory ? parseMemory(alloc.memory) : memCap;
      return {
        NodeName: name,
        CPU: resource(cpuCap, cpuAlloc, s.cpuReq, s.cpuLim),
        RAM: resource(memCap, memAlloc, s.memReq, s.memLim),
      };
    }),
  };
}

/**
 * Lists every node, then every active pod with one paged listing (`limit` per page, 100 as in
 * the seed), and sums per node. One listing of all pods costs far fewer round trips than the
 * seed's listing per node, and sees the same pods.
 */
export async function buildNodeReport(
  client: Pick<ClusterClient, 'listNodes' | 'listPods'>,
  options: { pageSize?: number } = {},
): Promise<NodeReport> {
  const limit = options.pageSize ?? 100;
  const nodes = await listAll((o) => client.listNodes(o), { limit });
  const pods = await listAll((o) => client.listPods(o), {
    fieldSelector: ACTIVE_POD_FIELD_SELECTOR,
    limit,
  });
  return nodeReportFrom(nodes, pods);
}
