import { describe, expect, it } from 'vitest';
import { SimCluster } from './sim/simCluster.js';
import { ManualClock } from '../core/clock.js';
import { Trace } from '../traces/trace.js';
import { observeWorkload, parseGoDurationMs } from './workloadReading.js';

describe('parseGoDurationMs', () => {
  it.each([
    ['15s', 15_000],
    ['14.999s', 14_999],
    ['1m0s', 60_000],
    ['1m30.5s', 90_500],
    ['500ms', 500],
    ['', 0],
  ])('%s is %d ms', (text, ms) => expect(parseGoDurationMs(text)).toBeCloseTo(ms, 6));
});

describe('observeWorkload', () => {
  it('sees the Deployment, its pods and their lagged usage as a controller would', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const sim = new SimCluster(clock, { seed: 1 });
    sim.addNode({ name: 'n', cpu: '8', memory: '32Gi' });
    const flat = new Trace('flat', Float64Array.from([0, 60]), Float64Array.from([100, 100]));
    sim.createDeployment({
      name: 'web',
      replicas: 2,
      annotations: { 'qpilot.io/mode': 'auto' },
      containers: [
        {
          name: 'app',
          requests: { cpu: '500m', memory: '128Mi' },
          limits: { cpu: '500m', memory: '256Mi' },
        },
      ],
      model: { trace: flat, noiseCv: 0, startupDelayMs: 10_000, idleCpuMillicores: 0 },
    });
    clock.advance(5_000);
    const early = await observeWorkload(sim, clock, 'default', 'web');
    expect(early.pods.every((p) => !p.ready && p.usage === undefined)).toBe(true);
    clock.advance(115_000);
    const o = await observeWorkload(sim, clock, 'default', 'web');
    expect(o).toMatchObject({
      namespace: 'default',
      name: 'web',
      specReplicas: 2,
      readyReplicas: 2,
      annotations: { 'qpilot.io/mode': 'auto' },
    });
    expect(o.template).toEqual({
      cpuRequestMillicores: 500,
      memoryRequestBytes: 128 * 2 ** 20,
      cpuLimitMillicores: 500,
      memoryLimitBytes: 256 * 2 ** 20,
    });
    expect(o.pods).toHaveLength(2);
    for (const p of o.pods) {
      expect(p).toMatchObject({
        phase: 'Running',
        status: 'Running',
        ready: true,
        deleting: false,
        cpuRequestMillicores: 500,
      });
      // 50 rps per pod at 5 ms each: 250 millicores.
      expect(p.usage?.cpuMillicores).toBe(250);
      expect(p.usage?.windowMs).toBe(15_000);
      expect(o.timeMs - p.usage!.timestampMs).toBeGreaterThanOrEqual(2_000);
    }
  });
});
