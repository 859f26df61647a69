import { afterEach, describe, expect, it } from 'vitest';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

interface Report {
  Nodes: {
    NodeName: string;
    CPU: {
      Capacity: number;
      Allocatable: number;
      Requests: { InstrumentedValue: number; Percent: number };
      Limits: { InstrumentedValue: number; Percent: number };
    };
    RAM: {
      Capacity: number;
      Allocatable: number;
      Requests: { InstrumentedValue: number; Percent: number };
      Limits: { InstrumentedValue: number; Percent: number };
    };
  }[];
}

describe('GET /nodes (seed 001)', () => {
  it('returns exactly the report shape, summing what the pods on each node request and limit', async () => {
    t = await simApp();
    const res = await t.app.inject('/nodes');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const report = res.json<Report>();
    expect(report.Nodes.map((n) => n.NodeName)).toEqual(['node-1', 'node-2']);
    for (const n of report.Nodes) {
      expect(Object.keys(n)).toEqual(['NodeName', 'CPU', 'RAM']);
      expect(Object.keys(n.CPU)).toEqual(['Capacity', 'Allocatable', 'Requests', 'Limits']);
      expect(n.CPU.Capacity).toBe(4000);
      expect(n.RAM.Allocatable).toBe(16 * 2 ** 30);
      expect(n.CPU.Requests.Percent).toBeCloseTo(
        (n.CPU.Requests.InstrumentedValue / 4000) * 100,
        9,
      );
    }
    const cpuRequests = report.Nodes.reduce((s, n) => s + n.CPU.Requests.InstrumentedValue, 0);
    const cpuLimits = report.Nodes.reduce((s, n) => s + n.CPU.Limits.InstrumentedValue, 0);
    // web: 2 x 250m requests, 2 x 500m limits; api: 500m requests, no limits.
    expect(cpuRequests).toBe(1000);
    expect(cpuLimits).toBe(1000);
  });

  it('leaves out Failed pods and catches up once its cache expires', async () => {
    t = await simApp({ config: { nodeReportTtlMs: 1000 } });
    const before = (await t.app.inject('/nodes')).json<Report>();
    const sum = (r: Report) => r.Nodes.reduce((s, n) => s + n.CPU.Requests.InstrumentedValue, 0);
    const api = (await t.sim.listPods({ namespace: 'prod' })).items[0]!;
    t.sim.injectPodState('prod', api.metadata!.name!, 'Failed');
    t.sim.deleteDeployment('prod', 'api');
    expect(sum((await t.app.inject('/nodes')).json<Report>())).toBe(sum(before));
    t.advance(1000);
    expect(sum((await t.app.inject('/nodes')).json<Report>())).toBe(sum(before) - 500);
  });
});
