import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { QpError } from '../core/errors.js';
import { waitForWorkloadReady } from './ops.js';

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
