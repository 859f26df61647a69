import { afterEach, describe, expect, it } from 'vitest';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.scaling.close();
  await t?.app.close();
  t = undefined;
});

describe('GET /config and POST /config', () => {
  it("shows seed 002's configuration with its defaults", async () => {
    t = await simApp();
    const res = await t.app.inject('/config');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      dry_run: true,
      min_cpu: 0.1,
      max_cpu: 8,
      min_memory: 20,
      max_memory: 16384,
      scale_factor: 0.2,
      auto_scale_interval: 30,
      scaling_cooldown: 30,
      excluded_deployments: expect.arrayContaining(['redis', 'dqn-scaler']) as unknown,
      excluded_labels: { app: 'redis', component: 'redis' },
    });
  });

  it('updates the allowed fields, and the next request sees them', async () => {
    t = await simApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/config',
      payload: { dry_run: false, scaling_cooldown: 45, namespaces: ['default', 'prod'] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      success: true,
      message: 'Configuration updated',
      config: { dry_run: false, scaling_cooldown: 45, namespaces: ['default', 'prod'] },
    });
    expect(t.scaling.settings().scalingCooldownMin).toBe(45);
    expect((await t.app.inject('/config')).json()).toMatchObject({ dry_run: false });
  });

  it.each([
    [{ dry_run: 'yes' }, 'dry_run must be a boolean'],
    [{ auto_scale_interval: 2.5 }, 'auto_scale_interval must be an integer'],
    [{ max_cpu: 4 }, '"max_cpu" cannot be set'],
    [{ namespaces: 'default' }, 'namespaces must be an array'],
    [[1, 2], 'the body must be a JSON object'],
    [{}, 'the body names no setting'],
  ])('refuses %j with a 400 naming the field, changing nothing', async (payload, message) => {
    t = await simApp();
    const res = await t.app.inject({ method: 'POST', url: '/config', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false });
    expect(res.json<{ error: string }>().error).toContain(message);
    expect(t.scaling.settings().dryRun).toBe(true);
  });

  it('refuses a body that is not JSON', async () => {
    t = await simApp();
    const res = await t.app.inject({
      method: 'POST',
      url: '/config',
      headers: { 'content-type': 'application/json' },
      payload: '{"dry_run": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ success: false });
  });
});

describe('/autoscale', () => {
  it('starts and stops the loop, and reports it', async () => {
    t = await simApp();
    expect((await t.app.inject('/autoscale/status')).json()).toMatchObject({
      enabled: false,
      running: false,
      interval_seconds: 30,
      thread_alive: false,
    });
    const start = await t.app.inject({ method: 'POST', url: '/autoscale/start' });
    expect(start.json()).toEqual({ success: true, message: 'Auto-scaling started', interval: 30 });
    expect((await t.app.inject('/autoscale/status')).json()).toMatchObject({
      enabled: true,
      running: true,
      thread_alive: true,
    });
    const stop = await t.app.inject({ method: 'POST', url: '/autoscale/stop' });
    expect(stop.json()).toEqual({ success: true, message: 'Auto-scaling stopped' });
    expect((await t.app.inject('/autoscale/status')).json()).toMatchObject({
      enabled: false,
      running: false,
    });
  });

  it('starts the loop when POST /config enables it', async () => {
    t = await simApp();
    await t.app.inject({ method: 'POST', url: '/config', payload: { auto_scale_enabled: true } });
    expect(t.scaling.autoscaler.status().running).toBe(true);
    await t.app.inject({ method: 'POST', url: '/config', payload: { auto_scale_enabled: false } });
    expect(t.scaling.autoscaler.status().running).toBe(false);
  });
});
