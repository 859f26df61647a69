import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { QpError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { SimCluster } from './sim/simCluster.js';
import { retrying, withRetry } from './retry.js';

function flaky(failures: number, code: QpError['code'] = 'QP_ERR_UNAVAILABLE') {
  let calls = 0;
  return {
    calls: () => calls,
    call: () => {
      calls++;
      return calls <= failures
        ? Promise.reject(new QpError(code, `failure ${calls}`))
        : Promise.resolve('ok');
    },
  };
}

describe('retrying', () => {
  it('retries passing failures with growing, jittered back-off, and succeeds', async () => {
    const clock = new ManualClock(0);
    const delays: number[] = [];
    const f = flaky(3);
    const p = retrying('listPods', f.call, {
      clock,
      rng: new Rng(1),
      attempts: 4,
      baseDelayMs: 100,
      onRetry: (_m, _a, _e, d) => delays.push(d),
    });
    await expect(clock.settle(p)).resolves.toBe('ok');
    expect(f.calls()).toBe(4);
    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => expect(d).toBeLessThanOrEqual(100 * 2 ** i));
  });

  it('gives up after the last attempt with the last error', async () => {
    const clock = new ManualClock(0);
    const f = flaky(10, 'QP_ERR_RATE_LIMITED');
    await expect(
      clock.settle(retrying('x', f.call, { clock, rng: new Rng(1), attempts: 3 })),
    ).rejects.toThrow('failure 3');
  });

  it('does not retry what retrying cannot fix', async () => {
    const clock = new ManualClock(0);
    for (const code of [
      'QP_ERR_NOT_FOUND',
      'QP_ERR_FORBIDDEN',
      'QP_ERR_DISRUPTION_BUDGET',
      'QP_ERR_INVALID_ARGUMENT',
    ] as const) {
      const f = flaky(1, code);
      await expect(retrying('x', f.call, { clock, rng: new Rng(1) })).rejects.toMatchObject({
        code,
      });
      expect(f.calls()).toBe(1);
    }
  });
});

describe('withRetry', () => {
  it('wraps every ClusterClient method and keeps results and identity of data', async () => {
    const clock = new ManualClock(0);
    const sim = new SimCluster(clock, { seed: 1 });
    sim.addNode({ name: 'n', cpu: '4', memory: '8Gi' });
    const retried = withRetry(sim, { clock, rng: new Rng(2) });
    expect(retried.kind).toBe('sim');
    expect((await retried.listNodes()).items.map((n) => n.metadata?.name)).toEqual(['n']);
    await expect(retried.getNode('missing')).rejects.toMatchObject({ code: 'QP_ERR_NOT_FOUND' });
  });
});
