import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { Trace } from '../../traces/trace.js';
import { listAll } from '../clusterClient.js';
import { isPodReady, podDisplayStatus } from '../podStatus.js';
import { parseCpu, parseMemory } from '../quantity.js';
import type { SimDeploymentSpec, WorkloadModel } from './model.js';
import { SimCluster } from './simCluster.js';

const START = Date.UTC(2026, 0, 1);

function cluster(options: ConstructorParameters<typeof SimCluster>[1] = {}, nodes = 2) {
  const clock = new ManualClock(START);
  const sim = new SimCluster(clock, { seed: 1, ...options });
  for (let i = 0; i < nodes; i++) sim.addNode({ name: `node-${i}`, cpu: '4', memory: '16Gi' });
  const advance = (ms: number) => {
    clock.advance(ms);
    sim.sync();
  };
  return { clock, sim, advance };
}

const constant = (rps: number) =>
  new Trace('const', Float64Array.from([0, 60]), Float64Array.from([rps, rps]));

function web(
  replicas: number,
  model: Partial<WorkloadModel> = {},
  extra: Partial<SimDeploymentSpec> = {},
): SimDeploymentSpec {
  return {
    name: 'web',
    replicas,
    containers: [
      {
        name: 'app',
        requests: { cpu: '250m', memory: '128Mi' },
        limits: { cpu: '500m', memory: '256Mi' },
      },
    ],
    model: { noiseCv: 0, ...model },
    ...extra,
  };
}

async function pods(sim: SimCluster, namespace = 'default') {
  return listAll((o) => sim.listPods(o), { namespace });
}

describe('scheduling and startup', () => {
  it('keeps pods Pending while no node has room, naming why, and binds them when one comes', async () => {
    const { sim, advance } = cluster({}, 1);
    sim.createDeployment({
      ...web(3),
      containers: [{ name: 'app', requests: { cpu: '1500m', memory: '1Gi' } }],
    });
    advance(1000);
    const list = await pods(sim);
    const pending = list.filter((p) => p.status?.phase === 'Pending' && !p.spec?.nodeName);
    expect(pending).toHaveLength(1);
    const cond = pending[0]!.status!.conditions!.find((c) => c.type === 'PodScheduled');
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(cond!.message).toBe('0/1 nodes are available: 1 Insufficient cpu.');
    sim.addNode({ name: 'node-new', cpu: '4', memory: '16Gi' });
    advance(1000);
    expect((await pods(sim)).every((p) => p.spec?.nodeName)).toBe(true);
  });

  it('makes a pod Ready exactly one startup delay after it starts', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1, { startupDelayMs: 20_000 }));
    advance(1000);
    let [pod] = await pods(sim);
    expect(pod!.status?.phase).toBe('Running');
    expect(isPodReady(pod!)).toBe(false);
    advance(19_000);
    expect(isPodReady((await pods(sim))[0]!)).toBe(false);
    advance(1000);
    [pod] = await pods(sim);
    expect(isPodReady(pod!)).toBe(true);
    expect((await sim.getWorkload('default', 'web')).status?.readyReplicas).toBe(1);
  });

  it('spreads pods over nodes by least allocation and respects cordons', async () => {
    const { sim, advance } = cluster({}, 2);
    await sim.cordonNode('node-1');
    sim.createDeployment(web(2));
    advance(1000);
    expect((await pods(sim)).map((p) => p.spec?.nodeName)).toEqual(['node-0', 'node-0']);
    await sim.uncordonNode('node-1');
    await sim.scaleWorkload('default', 'web', 4);
    advance(1000);
    const byNode = (await pods(sim)).map((p) => p.spec?.nodeName).sort();
    expect(byNode).toEqual(['node-0', 'node-0', 'node-1', 'node-1']);
  });

  it('deletes unready pods first when scaling down', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(2));
    advance(60_000);
    await sim.scaleWorkload('default', 'web', 3);
    advance(1000);
    const fresh = (await pods(sim)).find((p) => !isPodReady(p))!.metadata!.name;
    await sim.scaleWorkload('default', 'web', 2);
    advance(5000);
    expect((await pods(sim)).map((p) => p.metadata?.name)).not.toContain(fresh);
  });

  it('keeps enough pods ready during a rolling update of the template', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(4));
    advance(60_000);
    await sim.updateWorkloadResources('default', 'web', { app: { limits: { cpu: '750m' } } });
    let minReady = 4;
    for (let i = 0; i < 300; i++) {
      advance(1000);
      minReady = Math.min(
        minReady,
        (await sim.getWorkload('default', 'web')).status?.readyReplicas ?? 0,
      );
    }
    expect(minReady).toBeGreaterThanOrEqual(3);
    const list = await pods(sim);
    expect(list).toHaveLength(4);
    expect(list.every((p) => p.spec?.containers[0]?.resources?.limits?.cpu === '750m')).toBe(true);
  });
});

describe('failure states (seed 004)', () => {
  it.each(['Pending', 'CrashLoopBackOff', 'ImagePullBackOff', 'Terminating'] as const)(
    'shows an injected %s and replaces the pod where Kubernetes would',
    async (state) => {
      const { sim, advance } = cluster();
      sim.createDeployment(web(2));
      advance(60_000);
      const [victim] = await pods(sim);
      sim.injectPodState('default', victim!.metadata!.name!, state);
      advance(15_000);
      const pod = await sim.getPod('default', victim!.metadata!.name!);
      expect(podDisplayStatus(pod)).toBe(state);
      expect(isPodReady(pod)).toBe(false);
      const active = (await pods(sim)).filter((p) => !p.metadata?.deletionTimestamp);
      // A terminating pod no longer counts, so the Deployment has already replaced it.
      expect(active).toHaveLength(2);
    },
  );

  it('keeps a stuck Terminating pod until it is force-deleted', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1));
    advance(60_000);
    const [pod] = await pods(sim);
    const name = pod!.metadata!.name!;
    sim.injectPodState('default', name, 'Terminating');
    advance(600_000);
    expect(podDisplayStatus(await sim.getPod('default', name))).toBe('Terminating');
    await sim.deletePod('default', name, { gracePeriodSeconds: 0 });
    await expect(sim.getPod('default', name)).rejects.toMatchObject({ code: 'QP_ERR_NOT_FOUND' });
  });

  it('gives every new pod ImagePullBackOff while the Deployment is broken', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(2, {}, { failNewPodsWith: 'ImagePullBackOff' }));
    advance(120_000);
    const list = await pods(sim);
    expect(list.map(podDisplayStatus)).toEqual(['ImagePullBackOff', 'ImagePullBackOff']);
    expect(list.every((p) => p.status?.phase === 'Pending')).toBe(true);
  });

  it('restarts a crash-looping pod with growing back-off', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1, {}, { failNewPodsWith: 'CrashLoopBackOff' }));
    advance(120_000);
    const [pod] = await pods(sim);
    const restarts = pod!.status!.containerStatuses![0]!.restartCount;
    expect(restarts).toBeGreaterThanOrEqual(3);
    expect(restarts).toBeLessThanOrEqual(5);
    expect(podDisplayStatus(pod!)).toMatch(/CrashLoopBackOff|Running/);
  });

  it('excludes Failed and Succeeded pods from the Deployment and replaces them', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1));
    advance(60_000);
    const [pod] = await pods(sim);
    sim.injectPodState('default', pod!.metadata!.name!, 'Failed');
    advance(1000);
    const list = await pods(sim);
    expect(list).toHaveLength(2);
    expect(list.filter((p) => p.status?.phase === 'Failed')).toHaveLength(1);
    expect(() => sim.injectPodState('default', pod!.metadata!.name!, 'Exploded' as never)).toThrow(
      /cannot inject/,
    );
  });
});

describe('the load model of EVALUATION.md', () => {
  it('gives M/M/1 latency per pod and the CPU the requests cost', () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(2, { trace: constant(100), startupDelayMs: 0, baseLatencyMs: 20 }));
    advance(60_000);
    const t = sim.telemetry('default', 'web');
    // mu = 0.5 core / 0.005 s = 100 rps per pod; lambda = 50; p95 = 20 + ln(20)/50 s.
    expect(t.last.readyPods).toBe(2);
    expect(t.last.p95LatencyMs).toBeCloseTo(20 + (Math.log(20) / 50) * 1000, 6);
    expect(t.last.dropRatio).toBe(0);
    expect(t.last.cpuUsageCores).toBeCloseTo(2 * (0.005 + 50 * 0.005), 9);
    expect(t.cpuRequestCoreSeconds).toBeCloseTo(0.5 * 60, 6);
  });

  it('drops what saturated pods cannot serve, and counts SLO violations', () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1, { trace: constant(150), startupDelayMs: 0 }));
    advance(10_000);
    const t = sim.telemetry('default', 'web');
    expect(t.last.dropRatio).toBeCloseTo(50 / 150, 9);
    expect(t.droppedRequests).toBeCloseTo(t.offeredRequests - t.servedRequests, 6);
    expect(t.sloViolationSeconds).toBe(t.simulatedSeconds);
  });

  it('drops everything while no pod is ready', () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1, { trace: constant(10), startupDelayMs: 30_000 }));
    advance(10_000);
    const t = sim.telemetry('default', 'web');
    expect(t.servedRequests).toBe(0);
    expect(t.droppedRequests).toBeCloseTo(100, 6);
    expect(t.last.p95LatencyMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('OOM-kills a pod whose working set passes its memory limit', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment({
      ...web(1, {
        trace: constant(75),
        startupDelayMs: 0,
        memoryBaseBytes: 64 * 2 ** 20,
        memoryPerInflightBytes: 2 ** 20,
      }),
      containers: [
        {
          name: 'app',
          requests: { cpu: '500m', memory: '65Mi' },
          limits: { cpu: '500m', memory: '65Mi' },
        },
      ],
    });
    advance(30_000);
    const [pod] = await pods(sim);
    const status = pod!.status!.containerStatuses![0]!;
    expect(status.lastState?.terminated?.reason).toBe('OOMKilled');
    expect(status.restartCount).toBeGreaterThan(0);
    expect(sim.telemetry('default', 'web').oomKills).toBeGreaterThan(0);
  });

  it('replays a trace with an offset and load scale', () => {
    const { sim, advance } = cluster();
    const ramp = new Trace(
      'ramp',
      Float64Array.from([0, 100, 200]),
      Float64Array.from([0, 100, 200]),
    );
    sim.createDeployment(
      web(4, { trace: ramp, traceOffsetSec: 100, loadScale: 0.5, startupDelayMs: 0 }),
    );
    advance(10_000);
    // The tick ending at 10 s carries the rate of its start, 9 s into the run.
    expect(sim.telemetry('default', 'web').last.rps).toBeCloseTo(0.5 * 109, 6);
  });
});

describe('metrics as metrics-server delivers them', () => {
  it('appear only after two scrapes, averaged over the window and published with lag', async () => {
    const { sim, advance } = cluster({ metricsResolutionMs: 15_000, metricsLagMs: 2_000 });
    sim.createDeployment(web(1, { trace: constant(40), startupDelayMs: 0, idleCpuMillicores: 0 }));
    advance(15_000);
    expect(await sim.podMetrics()).toHaveLength(0);
    advance(16_000);
    expect(await sim.podMetrics()).toHaveLength(0);
    advance(1_000);
    const [m] = await sim.podMetrics();
    expect(m!.window).toBe('15s');
    expect(parseCpu(m!.containers[0]!.usage.cpu)).toBe(200);
    expect(parseMemory(m!.containers[0]!.usage.memory)).toBeGreaterThan(64 * 2 ** 20);
    const [node] = (await sim.nodeMetrics()).filter((n) => parseCpu(n.usage.cpu) > 100);
    expect(parseCpu(node!.usage.cpu)).toBe(300);
  });

  it('lags a step change in load by up to one window', async () => {
    const { sim, advance } = cluster({ metricsResolutionMs: 15_000, metricsLagMs: 0 });
    const step = new Trace(
      'step',
      Float64Array.from([0, 59, 60, 600]),
      Float64Array.from([10, 10, 80, 80]),
    );
    sim.createDeployment(
      web(1, { trace: step, loop: false, startupDelayMs: 0, idleCpuMillicores: 0 }),
    );
    advance(60_000);
    const before = parseCpu((await sim.podMetrics())[0]!.containers[0]!.usage.cpu);
    expect(before).toBe(50);
    advance(14_000);
    expect(parseCpu((await sim.podMetrics())[0]!.containers[0]!.usage.cpu)).toBe(before);
    advance(1_000);
    expect(parseCpu((await sim.podMetrics())[0]!.containers[0]!.usage.cpu)).toBe(400);
  });
});

describe('resizing', () => {
  it('refuses an in-place resize that does not fit the node, and falls back to the template when asked', async () => {
    const { sim, advance } = cluster({}, 1);
    sim.createDeployment(web(1));
    advance(60_000);
    const [pod] = await pods(sim);
    const name = pod!.metadata!.name!;
    const big = { app: { requests: { cpu: '8' }, limits: { cpu: '8' } } };
    await expect(sim.resizePod('default', name, big)).rejects.toMatchObject({
      code: 'QP_ERR_INFEASIBLE',
    });
    const result = await sim.resizePod('default', name, big, { fallbackToTemplate: true });
    expect(result).toMatchObject({ method: 'template', workload: 'web' });
    expect(result.fallbackReason).toMatch(/infeasible/);
  });

  it('reports clusters without in-place resize as unsupported', async () => {
    const { sim, advance } = cluster({ inPlaceResize: false });
    sim.createDeployment(web(1));
    advance(60_000);
    const [pod] = await pods(sim);
    await expect(
      sim.resizePod('default', pod!.metadata!.name!, { app: { limits: { cpu: '1' } } }),
    ).rejects.toMatchObject({
      code: 'QP_ERR_UNSUPPORTED',
    });
  });

  it('rejects a request above its limit and an unknown resource', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1));
    advance(60_000);
    const [pod] = await pods(sim);
    const name = pod!.metadata!.name!;
    await expect(
      sim.resizePod('default', name, { app: { requests: { cpu: '2' } } }),
    ).rejects.toThrow(/less than or equal to its limit/);
    await expect(
      sim.resizePod('default', name, { app: { limits: { gpu: '1' } as never } }),
    ).rejects.toThrow(/unknown resource "gpu"/);
  });

  it('changes the serving capacity of a resized pod', async () => {
    const { sim, advance } = cluster();
    sim.createDeployment(web(1, { trace: constant(150), startupDelayMs: 0 }));
    advance(10_000);
    expect(sim.telemetry('default', 'web').last.dropRatio).toBeGreaterThan(0.3);
    const [pod] = await pods(sim);
    await sim.resizePod('default', pod!.metadata!.name!, { app: { limits: { cpu: '1' } } });
    advance(2_000);
    expect(sim.telemetry('default', 'web').last.dropRatio).toBe(0);
  });
});

describe('determinism', () => {
  async function run(seed: number) {
    const clock = new ManualClock(START);
    const sim = new SimCluster(clock, { seed });
    sim.addNode({ name: 'n', cpu: '8', memory: '32Gi' });
    const wave = new Trace(
      'wave',
      Float64Array.from([0, 300, 600]),
      Float64Array.from([50, 250, 50]),
    );
    sim.createDeployment(web(3, { trace: wave, noiseCv: 0.1 }));
    for (let i = 0; i < 40; i++) {
      clock.advance(15_000);
      if (i === 10) await sim.scaleWorkload('default', 'web', 5);
    }
    const names = (await listAll((o) => sim.listPods(o))).map((p) => p.metadata?.name);
    return { names, telemetry: sim.telemetry('default', 'web') };
  }

  it('replays exactly for a seed and differs for another', async () => {
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a).toEqual(b);
    expect(c.names).not.toEqual(a.names);
    expect(c.telemetry.offeredRequests).not.toBe(a.telemetry.offeredRequests);
  });
});

describe('load forecast', () => {
  it('tells the exact load the next ticks will bring, without disturbing the simulation', () => {
    const { sim, advance } = cluster();
    const wave = new Trace('wave', Float64Array.from([0, 30, 60]), Float64Array.from([10, 90, 10]));
    sim.createDeployment(web(2, { trace: wave, noiseCv: 0.2, startupDelayMs: 0 }));
    advance(5_000);
    const forecast = sim.forecastLoad('default', 'web', 20);
    const seen: number[] = [];
    sim.onTick('default', 'web', (s) => seen.push(s.rps));
    advance(20_000);
    expect(seen).toEqual(Array.from(forecast));
  });
});

describe('bad input', () => {
  it('names what is wrong', async () => {
    const { sim } = cluster();
    expect(() => sim.createDeployment({ ...web(1), name: 'Bad_Name' })).toThrow(/DNS label/);
    expect(() => sim.createDeployment({ ...web(1), replicas: -2 })).toThrow(/replicas/);
    expect(() =>
      sim.createDeployment({ ...web(1), containers: [{ name: 'a', requests: { cpu: 'lots' } }] }),
    ).toThrow(/"lots"/);
    sim.createDeployment(web(1));
    expect(() => sim.createDeployment(web(1))).toThrow(/already exists/);
    await expect(sim.getPod('nowhere', 'x')).rejects.toThrow('namespace "nowhere" not found');
    await expect(sim.listPods({ fieldSelector: 'spec.bogus=1' })).rejects.toThrow(
      /field label not supported/,
    );
    await expect(sim.deletePod('default', 'x', { gracePeriodSeconds: -1 })).rejects.toThrow(
      /gracePeriodSeconds/,
    );
    expect(() =>
      sim.createPdb({ name: 'p', matchLabels: {}, minAvailable: 1, maxUnavailable: 1 }),
    ).toThrow(/exactly one/);
  });
});
