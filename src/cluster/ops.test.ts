import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { QpError } from '../core/errors.js';
import { SimCluster } from './sim/simCluster.js';
import { safeScale, waitForWorkloadReady } from './ops.js';

const deployment = (ready: number, total: number, updated = total): V1Deployment => ({
  metadata: { generation: 2 },
  status: {
    observedGeneration: 2,
    readyReplicas: ready,
    replicas: total,
    updatedReplicas: updated,
  },
});

describe('waitForWorkloadReady', () => {
  it('rides out an unreachable API server until the deadline', async () => {
    const clock = new ManualClock(0);
    const answers: (V1Deployment | QpError)[] = [
      new QpError('QP_ERR_UNAVAILABLE', 'down'),
      new QpError('QP_ERR_UNAVAILABLE', 'down'),
      deployment(3, 3),
    ];
    const client = {
      getWorkload: () => {
        const a = answers.shift()!;
        return a instanceof QpError ? Promise.reject(a) : Promise.resolve(a);
      },
    };
    const result = await clock.settle(
      waitForWorkloadReady(client, clock, 'ns', 'web', 3, {
        timeoutMs: 10_000,
        pollIntervalMs: 1000,
      }),
    );
    expect(result).toMatchObject({ readyReplicas: 3, waitedMs: 2000 });
  });

  it('fails at once on an error that waiting cannot fix', async () => {
    const clock = new ManualClock(0);
    const client = {
      getWorkload: () =>
        Promise.reject(new QpError('QP_ERR_NOT_FOUND', 'deployment "ns/web" not found')),
    };
    await expect(
      clock.settle(waitForWorkloadReady(client, clock, 'ns', 'web', 3, { timeoutMs: 10_000 })),
    ).rejects.toThrow('not found');
  });

  it('is not done while a rollout still runs old pods, and times out saying how far it got', async () => {
    const clock = new ManualClock(0);
    const client = { getWorkload: () => Promise.resolve(deployment(3, 3, 2)) };
    await expect(
      clock.settle(waitForWorkloadReady(client, clock, 'ns', 'web', 3, { timeoutMs: 5000 })),
    ).rejects.toMatchObject({
      code: 'QP_ERR_TIMEOUT',
      message: 'deployment ns/web has 3/3 pods ready (3 pods in all) after 5000 ms',
    });
  });
});

describe('safeScale', () => {
  function sim() {
    const clock = new ManualClock(0);
    const cluster = new SimCluster(clock, { seed: 1 });
    cluster.addNode({ name: 'n', cpu: '8', memory: '32Gi' });
    cluster.createDeployment({
      name: 'web',
      replicas: 1,
      containers: [{ name: 'c', requests: { cpu: '100m', memory: '64Mi' } }],
      model: { startupDelayMs: 5_000 },
    });
    return { clock, cluster };
  }

  it('scales within the bounds and verifies readiness', async () => {
    const { clock, cluster } = sim();
    const result = await clock.settle(
      safeScale(cluster, 'default', 'web', 3, {
        minReplicas: 1,
        maxReplicas: 5,
        timeoutMs: 60_000,
      }),
    );
    expect(result).toMatchObject({
      previousReplicas: 1,
      replicas: 3,
      requestedReplicas: 3,
      readyReplicas: 3,
      clamped: false,
    });
  });

  it('holds the target within [min, max] and says so', async () => {
    const { clock, cluster } = sim();
    expect(
      await clock.settle(
        safeScale(cluster, 'default', 'web', 50, {
          minReplicas: 1,
          maxReplicas: 4,
          timeoutMs: 60_000,
        }),
      ),
    ).toMatchObject({
      replicas: 4,
      requestedReplicas: 50,
      clamped: true,
    });
    expect(
      await clock.settle(
        safeScale(cluster, 'default', 'web', 0, {
          minReplicas: 2,
          maxReplicas: 4,
          timeoutMs: 60_000,
        }),
      ),
    ).toMatchObject({
      replicas: 2,
      clamped: true,
    });
  });

  it('rejects nonsense bounds and fails verification with a coded timeout', async () => {
    const { clock, cluster } = sim();
    await expect(
      safeScale(cluster, 'default', 'web', 2, { minReplicas: 5, maxReplicas: 1, timeoutMs: 1 }),
    ).rejects.toThrow(/0 <= min <= max/);
    await expect(
      clock.settle(
        safeScale(cluster, 'default', 'web', 3, {
          minReplicas: 1,
          maxReplicas: 5,
          timeoutMs: 2_000,
        }),
      ),
    ).rejects.toMatchObject({
      code: 'QP_ERR_TIMEOUT',
    });
  });
});
