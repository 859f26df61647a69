import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ClusterClient, ListOptions, Page } from './clusterClient.js';
import { buildNodeReport, nodeReportFrom } from './nodeReport.js';

const node = (name: string, cpu: string, memory: string): V1Node => ({
  metadata: { name },
  status: { capacity: { cpu, memory }, allocatable: { cpu, memory } },
});

const pod = (
  name: string,
  nodeName: string,
  phase: string,
  resources: Record<string, Record<string, string>>,
): V1Pod => ({
  metadata: { name, namespace: 'default' },
  spec: { nodeName, containers: [{ name: 'c', resources }] },
  status: { phase },
});

describe('nodeReportFrom', () => {
  it('reproduces the node3 example of seed 001', () => {
    const report = nodeReportFrom(
      [node('node3', '2', '8344227840')],
      [
        pod('a', 'node3', 'Running', {
          requests: { cpu: '500m', memory: '256Mi' },
          limits: { cpu: '1', memory: '512Mi' },
        }),
        pod('b', 'node3', 'Running', {
          requests: { cpu: '250m', memory: '250Mi' },
          limits: { cpu: '500m', memory: '512Mi' },
        }),
        pod('done', 'node3', 'Succeeded', { requests: { cpu: '1' } }),
        pod('failed', 'node3', 'Failed', { requests: { cpu: '1' } }),
      ],
    );
    expect(report).toEqual({
      Nodes: [
        {
          NodeName: 'node3',
          CPU: {
            Capacity: 2000,
            Allocatable: 2000,
            Requests: { InstrumentedValue: 750, Percent: 37.5 },
            Limits: { InstrumentedValue: 1500, Percent: 75 },
          },
          RAM: {
            Capacity: 8344227840,
            Allocatable: 8344227840,
            Requests: { InstrumentedValue: 530579456, Percent: (530579456 / 8344227840) * 100 },
            Limits: { InstrumentedValue: 1073741824, Percent: (1073741824 / 8344227840) * 100 },
          },
        },
      ],
    });
    expect(report.Nodes[0]!.RAM.Requests.Percent).toBeCloseTo(6.358640561761075, 12);
  });

  it('counts requests of a container without limits, and ignores pods on unknown nodes', () => {
    const report = nodeReportFrom(
      [node('n1', '4', '16Gi')],
      [
        pod('a', 'n1', 'Pending', { requests: { cpu: '1' } }),
        pod('b', 'elsewhere', 'Running', { requests: { cpu: '1' } }),
      ],
    );
    expect(report.Nodes[0]!.CPU.Requests).toEqual({ InstrumentedValue: 1000, Percent: 25 });
    expect(report.Nodes[0]!.CPU.Limits).toEqual({ InstrumentedValue: 0, Percent: 0 });
  });
});

describe('buildNodeReport', () => {
  it('reads pods page by page with the active-pod field selector', async () => {
    const pods = Array.from({ length: 250 }, (_, i) =>
      pod(`p${i}`, 'n1', 'Running', { requests: { cpu: '10m' } }),
    );
    const calls: ListOptions[] = [];
    const client: Pick<ClusterClient, 'listNodes' | 'listPods'> = {
      listNodes: () => Promise.resolve({ items: [node('n1', '4', '16Gi')] }),
      listPods: (o: ListOptions = {}): Promise<Page<V1Pod>> => {
        calls.push(o);
        const start = Number(o.continue ?? 0);
        const end = start + (o.limit ?? pods.length);
        return Promise.resolve({
          items: pods.slice(start, end),
          continue: end < pods.length ? String(end) : undefined,
        });
      },
    };
    const report = await buildNodeReport(client);
    expect(report.Nodes[0]!.CPU.Requests.InstrumentedValue).toBe(2500);
    expect(calls.map((c) => [c.limit, c.continue, c.fieldSelector])).toEqual([
      [100, undefined, 'status.phase!=Failed,status.phase!=Succeeded'],
      [100, '100', 'status.phase!=Failed,status.phase!=Succeeded'],
      [100, '200', 'status.phase!=Failed,status.phase!=Succeeded'],
    ]);
  });
});
