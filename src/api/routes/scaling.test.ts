import { afterEach, describe, expect, it } from 'vitest';
import { DQN_EXPECTATION } from '../../policies/dqn/dqnPolicy.js';
import { DQN_VERTICAL_EXPECTATION } from '../../policies/dqnVertical/dqnVerticalPolicy.js';
import type { ServingModels } from '../../policies/servingModels.js';
import { randomModel } from '../../policies/testing/randomModel.js';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.scaling.close();
  await t?.app.close();
  t = undefined;
});

const models: ServingModels = {
  dqn: { policy: 'dqn', path: 'm/dqn', status: 'loaded', model: randomModel(DQN_EXPECTATION) },
  'dqn-vertical': {
    policy: 'dqn-vertical',
    path: 'm/dqn-vertical',
    status: 'loaded',
    model: randomModel(DQN_VERTICAL_EXPECTATION),
  },
};

async function webPod(app: SimApp): Promise<string> {
  const res = await app.app.inject('/pods?labelSelector=app%3Dweb');
  return res.json<{ pods: { name: string }[] }>().pods[0]!.name;
}

interface DecisionResult {
  success: boolean;
  result: Record<string, unknown> & {
    predictions: Record<string, unknown>;
    q_values: { cpu_q_values: number[]; memory_q_values: number[] };
    resource_changes: { cpu: { current: number; new: number; action: string } };
  };
}

describe('POST /scale/pod/:namespace/:pod', () => {
  it("answers seed 002's full decision object, records it and acts not in dry run", async () => {
    t = await simApp({ models, settings: { policy: 'dqn-vertical' } });
    const pod = await webPod(t);
    const before = t.sim.getWorkload('default', 'web');
    const res = await t.app.inject({ method: 'POST', url: `/scale/pod/default/${pod}` });
    expect(res.statusCode).toBe(200);
    const { success, result } = res.json<DecisionResult>();
    expect(success).toBe(true);
    expect(result).toMatchObject({
      pod_name: pod,
      namespace: 'default',
      workload: 'web',
      policy: 'dqn-vertical',
      status: 'success',
      current_metrics: {
        cpu_usage: expect.any(Number) as unknown,
        memory_usage_mb: expect.any(Number) as unknown,
        cpu_limit: 0.5,
        memory_limit_mb: 256,
      },
      explanation: { reasoning: expect.any(String) as unknown },
    });
    expect(['DECREASE', 'MAINTAIN', 'INCREASE']).toContain(result.predictions.cpu_action);
    expect(result.predictions.cpu_action_index).toBeGreaterThanOrEqual(0);
    expect(result.q_values.cpu_q_values).toHaveLength(3);
    expect(result.q_values.memory_q_values).toHaveLength(3);
    expect(typeof result.can_scale).toBe('boolean');
    expect(['dry_run', 'no_change']).toContain(result.outcome);
    // Dry run: the Deployment is as it was.
    expect(await before).toEqual(await t.sim.getWorkload('default', 'web'));

    const decisions = (await t.app.inject('/decisions?limit=5')).json<{
      count: number;
      decisions: { pod_name: string; policy: string; utilization: unknown }[];
    }>();
    expect(decisions.count).toBe(1);
    expect(decisions.decisions[0]).toMatchObject({
      pod_name: pod,
      policy: 'dqn-vertical',
      utilization: { cpu_percentage: expect.any(Number) as unknown },
    });
  });

  it('says why a workload is skipped: excluded, or its mode is off', async () => {
    t = await simApp({ settings: { excludedDeployments: ['web'] } });
    const pod = await webPod(t);
    const res = await t.app.inject({ method: 'POST', url: `/scale/pod/default/${pod}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      success: true,
      result: { status: 'skipped', reason: 'excluded', can_scale: false, workload: 'web' },
    });
    expect((await t.app.inject('/decisions')).json()).toMatchObject({ count: 0 });
  });

  it.each([
    ['/scale/pod/default/no-such-pod', 404, 'pod "default/no-such-pod" not found'],
    ['/scale/pod/nowhere/web-1', 404, 'namespace "nowhere" not found'],
    ['/scale/pod/default/Bad_Name', 400, 'path parameter "pod"'],
  ])('POST %s answers %i', async (url, status, message) => {
    t = await simApp();
    const res = await t.app.inject({ method: 'POST', url });
    expect(res.statusCode).toBe(status);
    expect(res.json<{ error: string }>().error).toContain(message);
  });
});

describe('POST /scale/all', () => {
  it('issues twelve scale-ups at once and answers before any of their 30 s startups', async () => {
    t = await simApp({ settings: { policy: 'static:3', dryRun: false } });
    t.sim.addNode({ name: 'node-3', cpu: '16', memory: '64Gi' });
    for (let i = 0; i < 12; i++)
      t.sim.createDeployment({
        name: `svc-${i}`,
        replicas: 1,
        containers: [{ name: 'app', requests: { cpu: '100m', memory: '64Mi' } }],
        model: { startupDelayMs: 30_000 },
      });
    t.advance(60_000);
    const started = t.clock.now();
    const res = await t.app.inject({ method: 'POST', url: '/scale/all' });
    // Answered with the clock standing still: nothing waited for a pod to start.
    expect(t.clock.now()).toBe(started);
    const results = res.json<{
      results: { workload: string; outcome: string; decision_id: number }[];
    }>().results;
    const svc = results.filter((r) => r.workload.startsWith('svc-'));
    expect(svc).toHaveLength(12);
    expect(new Set(svc.map((r) => r.outcome))).toEqual(new Set(['in_progress']));
    for (let i = 0; i < 12; i++)
      expect((await t.sim.getWorkload('default', `svc-${i}`)).spec?.replicas).toBe(3);
    // Each outcome is recorded when its rollout finishes.
    for (let s = 0; s < 25; s++) {
      t.advance(1000);
      await t.scaling.actuator.poll();
    }
    const early = (await t.app.inject(`/decisions/${svc[0]!.decision_id}`)).json<{
      decision: { outcome: string };
    }>();
    expect(early.decision.outcome).toBe('in_progress');
    for (let s = 0; s < 15; s++) {
      t.advance(1000);
      await t.scaling.actuator.poll();
    }
    for (const r of svc) {
      const d = (await t.app.inject(`/decisions/${r.decision_id}`)).json<{
        decision: { outcome: string; settled_at: string };
      }>().decision;
      expect(d.outcome, r.workload).toBe('applied');
      expect(Date.parse(d.settled_at) - started).toBeGreaterThanOrEqual(30_000);
    }
  });

  it('processes every workload and says why the others were skipped', async () => {
    t = await simApp({ settings: { policy: 'hpa' } });
    t.sim.createDeployment({
      name: 'redis',
      replicas: 1,
      containers: [{ name: 'redis', requests: { cpu: '100m', memory: '64Mi' } }],
    });
    t.sim.createDeployment({
      name: 'batch',
      replicas: 1,
      annotations: { 'qpilot.io/mode': 'off' },
      containers: [{ name: 'batch', requests: { cpu: '100m', memory: '64Mi' } }],
    });
    t.advance(60_000);
    const res = await t.app.inject({ method: 'POST', url: '/scale/all' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      processed: number;
      results: { workload: string; status: string; reason?: string; outcome?: string }[];
      statistics: { overview: { total_decisions: number }; action_distribution: unknown };
    }>();
    const byName = Object.fromEntries(body.results.map((r) => [r.workload, r]));
    expect(byName.web).toMatchObject({ status: 'success' });
    expect(byName.redis).toMatchObject({ status: 'skipped', reason: 'excluded' });
    expect(byName.batch).toMatchObject({ status: 'skipped', reason: 'mode_off' });
    expect(body.processed).toBe(1);
    expect(body.statistics.overview.total_decisions).toBe(1);
    expect(body.statistics.action_distribution).toMatchObject({
      replica_actions: expect.any(Object) as unknown,
    });
  });
});

describe('POST /api/namespaces/:namespace/pods/:pod/resize', () => {
  it('resizes in place and records the change', async () => {
    t = await simApp();
    const pod = await webPod(t);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/namespaces/default/pods/${pod}/resize`,
      payload: { containers: { nginx: { requests: { cpu: '300m' }, limits: { cpu: '600m' } } } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      pod,
      namespace: 'default',
      scaling_method: 'vertical',
      details: { pod_name: pod, container_resources: { nginx: { requests: { cpu: '300m' } } } },
    });
    const live = await t.sim.getPod('default', pod);
    expect(live.spec?.containers[0]?.resources?.requests?.cpu).toBe('300m');
    const decisions = (await t.app.inject('/decisions')).json<{
      decisions: { policy: string; outcome: string; id: number }[];
    }>();
    expect(decisions.decisions[0]).toMatchObject({ policy: 'manual', outcome: 'in_progress' });
    // Verified on the next look at the changes in flight.
    await t.scaling.actuator.poll();
    const settled = (await t.app.inject(`/decisions/${decisions.decisions[0]!.id}`)).json<{
      decision: { outcome: string; target: { pod: string } };
    }>();
    expect(settled.decision).toMatchObject({ outcome: 'applied', target: { pod } });
  });

  it('waits for the verification with ?wait=true, and refuses a pod qpilot must leave alone', async () => {
    t = await simApp();
    const pod = await webPod(t);
    const res = await t.settle(
      t.app.inject({
        method: 'POST',
        url: `/api/namespaces/default/pods/${pod}/resize?wait=true`,
        payload: { containers: { nginx: { requests: { memory: '192Mi' } } } },
      }),
    );
    expect(res.json()).toMatchObject({ outcome: 'applied', scaling_method: 'vertical' });
    await t.app.inject({
      method: 'POST',
      url: '/config',
      payload: { excluded_deployments: ['web'] },
    });
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/namespaces/default/pods/${pod}/resize`,
      payload: { containers: { nginx: { requests: { memory: '160Mi' } } } },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ error: string }>().error).toBe(
      'qpilot leaves web alone: web is in excluded_deployments',
    );
    expect(
      (await t.sim.getPod('default', pod)).spec?.containers[0]?.resources?.requests?.memory,
    ).toBe('192Mi');
  });

  it.each([
    [{ containers: { nginx: { requests: { cpu: 'lots' } } } }, 400, 'cpu'],
    [{ containers: { nope: { requests: { cpu: '100m' } } } }, 400, 'nope'],
    [{ containers: {} }, 400, 'containers'],
    [{ containers: { nginx: { requests: { gpu: '1' } } } }, 400, 'gpu'],
    [{}, 400, 'containers'],
  ])('refuses %j', async (payload, status, word) => {
    t = await simApp();
    const pod = await webPod(t);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/namespaces/default/pods/${pod}/resize`,
      payload,
    });
    expect(res.statusCode).toBe(status);
    expect(res.json<{ error: string }>().error).toContain(word);
  });

  it('refuses enable_horizontal_fallback that is not a boolean', async () => {
    t = await simApp();
    const pod = await webPod(t);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/namespaces/default/pods/${pod}/resize?enable_horizontal_fallback=maybe`,
      payload: { containers: { nginx: { requests: { cpu: '300m' } } } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: string }>().error).toContain('enable_horizontal_fallback');
  });
});

describe('GET /statistics', () => {
  it("summarises the decisions in seed 002's sections", async () => {
    t = await simApp({ models, settings: { policy: 'dqn-vertical' } });
    await t.app.inject({ method: 'POST', url: '/scale/all' });
    await t.app.inject({ method: 'POST', url: '/scale/all' });
    const res = await t.app.inject('/statistics');
    expect(res.statusCode).toBe(200);
    const s = res.json<{ statistics: Record<string, Record<string, unknown>> }>().statistics;
    expect(s.overview).toMatchObject({ total_decisions: 2, total_pods_monitored: 1 });
    const cpu = s.action_distribution!.cpu_actions as Record<string, number>;
    expect(cpu.DECREASE! + cpu.MAINTAIN! + cpu.INCREASE!).toBe(2);
    expect(s.model_performance).toMatchObject({
      average_cpu_confidence: expect.any(Number) as unknown,
    });
    expect(s.system_status).toMatchObject({
      dry_run_mode: true,
      cooldown_period_minutes: 30,
      scale_factor: 0.2,
      kubernetes_available: true,
    });
    expect(s.resource_utilization).toMatchObject({
      average_cpu_usage: expect.any(Number) as unknown,
    });
  });

  it('refuses a limit out of range', async () => {
    t = await simApp();
    for (const q of ['limit=0', 'limit=abc', 'limit=100000', 'other=1']) {
      const res = await t.app.inject(`/decisions?${q}`);
      expect(res.statusCode, q).toBe(400);
    }
  });
});
