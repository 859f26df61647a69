import { afterEach, describe, expect, it } from 'vitest';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

describe('GET /pod (seed 004)', () => {
  it("reports the configured target's utilisation over requests and its pod counts", async () => {
    t = await simApp();
    const res = await t.app.inject('/pod');
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      success: true,
      namespace: 'default',
      deployment: 'web',
      running_pods: 2,
      ready_pods: 2,
      total_pods: 2,
      desired_pods: 2,
      pods_with_metrics: 2,
    });
    // Each pod uses 0.155 cores of its 0.25 requested: 62 %.
    expect(body.cpu_utilization_percent).toBeCloseTo(62, 1);
    expect(body.memory_utilization_percent as number).toBeGreaterThan(50);
  });

  it('counts pods that are not running, and takes the target from the query', async () => {
    t = await simApp();
    t.sim.setFailNewPods('default', 'web', 'ImagePullBackOff');
    await t.sim.scaleWorkload('default', 'web', 3);
    t.advance(5_000);
    const body = (await t.app.inject('/pod?deployment=web&namespace=default')).json<
      Record<string, unknown>
    >();
    expect(body).toMatchObject({
      running_pods: 2,
      total_pods: 3,
      desired_pods: 3,
      pod_statuses: { Running: 2, ImagePullBackOff: 1 },
    });
    const api = (await t.app.inject('/pod?namespace=prod&deployment=api')).json<
      Record<string, unknown>
    >();
    expect(api).toMatchObject({ deployment: 'api', total_pods: 1 });
  });

  it('asks for a target when none is configured, and names unknown ones', async () => {
    t = await simApp({ config: { targetDeployment: undefined } });
    const none = await t.app.inject('/pod');
    expect(none.statusCode).toBe(400);
    expect(none.json<{ error: string }>().error).toMatch(/no target deployment/);
    const ghost = await t.app.inject('/pod?deployment=ghost');
    expect(ghost.statusCode).toBe(404);
    expect(ghost.json<{ error: string }>().error).toBe('deployment "default/ghost" not found');
    expect((await t.app.inject('/pod?namespace=nowhere&deployment=web')).statusCode).toBe(404);
    expect((await t.app.inject('/pod?deployment=BAD!')).statusCode).toBe(400);
  });
});
