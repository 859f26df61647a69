import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimCluster } from '../cluster/sim/simCluster.js';
import { ManualClock } from '../core/clock.js';
import { Trace } from '../traces/trace.js';
import { Collector, type Item } from './collector.js';
import { Outbox } from './outbox.js';

async function setup(batchSize: number) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SimCluster(clock, { seed: 'collector' });
  for (const name of ['node-1', 'node-2', 'node-3'])
    sim.addNode({ name, cpu: '8', memory: '32Gi' });
  const load = new Trace('flat', Float64Array.from([0, 86_400]), Float64Array.from([50, 50]));
  sim.createDeployment({
    name: 'web',
    replicas: 5,
    labels: { app: 'web' },
    containers: [{ name: 'app', requests: { cpu: '250m', memory: '128Mi' } }],
    model: { trace: load, noiseCv: 0, cpuSecondsPerRequest: 0.005 },
  });
  clock.advance(120_000);
  const outbox = await Outbox.open<Item>(mkdtempSync(join(tmpdir(), 'qpilot-collector-')));
  const logs: string[] = [];
  const events: Item[] = [
    { namespace: 'default', reason: 'Scheduled', type: 'Normal', message: 'm' },
  ];
  const collector = new Collector({
    cluster: sim,
    events: { drain: () => events.splice(0) },
    outbox,
    clock,
    intervalSec: () => 60,
    batchSize: () => batchSize,
    log: (m) => logs.push(m),
  });
  return { collector, outbox, logs };
}

describe('the agent collector', () => {
  it("collects pods, nodes and events into batches of BATCH_SIZE, and logs the seed's lines", async () => {
    const t = await setup(2);
    const got = await t.collector.collectOnce();
    expect(got).toMatchObject({ pods: 5, nodes: 3, events: 1 });
    const batches = await t.outbox.peek(100);
    const byKind = (k: string) => batches.filter((b) => b.meta?.kind === k);
    // 5 pod items in batches of 2: 3 batches; 3 nodes: 2 of usage, 2 of capacity; 1 of events.
    expect(byKind('pod_metrics').map((b) => b.items.length)).toEqual([2, 2, 1]);
    expect(byKind('node_metrics').map((b) => b.items.length)).toEqual([2, 1]);
    expect(byKind('nodes')[0]!.items[0]).toMatchObject({
      node: 'node-1',
      cpuCapacity: '8',
      ready: true,
    });
    expect(byKind('events')).toHaveLength(1);
    expect(got.batches).toBe(batches.length);
    expect(t.logs).toEqual(['Collected metrics for 5 pods', 'Collected metrics for 3 nodes']);
    // The events were drained: the next round carries none.
    expect((await t.collector.collectOnce()).events).toBe(0);
  });
});
