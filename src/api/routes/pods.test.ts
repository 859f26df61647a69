import { afterEach, describe, expect, it } from 'vitest';
import { type SimApp, simApp } from '../testing/simApp.js';

let t: SimApp | undefined;
afterEach(async () => {
  await t?.app.close();
  t = undefined;
});

interface PodsBody {
  success: boolean;
  count: number;
  pods: {
    name: string;
    namespace: string;
    status: string;
    labels: Record<string, string>;
    node_name: string;
    pod_ip: string;
    creation_timestamp: string;
    containers: {
      name: string;
      image: string;
      resources: { requests: Record<string, string>; limits: Record<string, string> };
    }[];
    owner: { kind: string; name: string };
  }[];
}

describe('GET /pods', () => {
  it('lists the pods of the configured namespaces in the shape of seed 002', async () => {
    t = await simApp();
    const res = await t.app.inject('/pods');
    expect(res.statusCode).toBe(200);
    const body = res.json<PodsBody>();
    expect(body.success).toBe(true);
    expect(body.count).toBe(2);
    const pod = body.pods[0]!;
    expect(pod).toMatchObject({
      namespace: 'default',
      status: 'Running',
      labels: { app: 'web' },
      containers: [
        {
          name: 'nginx',
          image: 'nginx:1.27',
          resources: {
            requests: { cpu: '250m', memory: '128Mi' },
            limits: { cpu: '500m', memory: '256Mi' },
          },
        },
      ],
      owner: { kind: 'ReplicaSet' },
    });
    expect(pod.name).toMatch(/^web-[a-z0-9]{10}-[a-z0-9]{5}$/);
    expect(pod.node_name).toMatch(/^node-[12]$/);
    expect(pod.pod_ip).toMatch(/^10\.244\./);
    expect(pod.creation_timestamp).toBe('2026-01-01T00:00:00.000Z');
  });

  it('follows the configured namespaces and a namespace or label selector in the query', async () => {
    t = await simApp({ config: { namespaces: ['default', 'prod'] } });
    expect((await t.app.inject('/pods')).json<PodsBody>().count).toBe(3);
    expect(
      (await t.app.inject('/pods?namespace=prod')).json<PodsBody>().pods.map((p) => p.namespace),
    ).toEqual(['prod']);
    expect((await t.app.inject('/pods?labelSelector=app%3Dapi')).json<PodsBody>().count).toBe(1);
    expect(
      (await t.app.inject('/pods?labelSelector=app%20notin%20(web,api)')).json<PodsBody>().count,
    ).toBe(0);
  });

  it('names what is wrong in the query', async () => {
    t = await simApp();
    const cases: [string, number, string][] = [
      ['/pods?namespace=nowhere', 404, 'namespace "nowhere" not found'],
      ['/pods?namespace=Not_Valid', 400, 'invalid query parameter "namespace"'],
      ['/pods?labelSelector=app%20in%20(a', 400, 'labelSelector'],
      ['/pods?color=blue', 400, 'unknown query parameter "color"'],
    ];
    for (const [url, status, message] of cases) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBe(status);
      expect(res.json<{ success: boolean; error: string }>(), url).toMatchObject({
        success: false,
        error: expect.stringContaining(message) as unknown,
      });
    }
  });
});

describe('GET /pods/:namespace/:pod', () => {
  it("gives the pod's usage in cores and MB beside its requests", async () => {
    t = await simApp();
    const name = (await t.app.inject('/pods')).json<PodsBody>().pods[0]!.name;
    const res = await t.app.inject(`/pods/default/${name}`);
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      pod: string;
      metrics: { cpu_usage_cores: number; memory_usage_mb: number; window: string };
      resources: Record<string, number>;
    }>();
    expect(body.pod).toBe(`default/${name}`);
    // 60 rps over 2 pods at 5 ms of CPU each, plus 5 m idle: 0.155 cores.
    expect(body.metrics.cpu_usage_cores).toBeCloseTo(0.155, 3);
    expect(body.metrics.memory_usage_mb).toBeGreaterThan(64);
    expect(body.metrics.window).toBe('15s');
    expect(body.resources).toEqual({
      cpu_requests_cores: 0.25,
      memory_requests_mb: 128,
      cpu_limits_cores: 0.5,
      memory_limits_mb: 256,
    });
  });

  it('gives null usage for a pod that has no metrics yet', async () => {
    t = await simApp();
    await t.sim.scaleWorkload('default', 'web', 3);
    t.advance(1000);
    const pods = (await t.app.inject('/pods')).json<PodsBody>().pods;
    const fresh = pods.find((p) => p.creation_timestamp > '2026-01-01T00:01:00')!;
    const body = (await t.app.inject(`/pods/default/${fresh.name}`)).json<{
      metrics: Record<string, unknown>;
    }>();
    expect(body.metrics).toEqual({
      cpu_usage_cores: null,
      memory_usage_mb: null,
      timestamp: null,
      window: null,
    });
  });

  it('answers 404 naming an unknown namespace or pod, and 400 naming a malformed one', async () => {
    t = await simApp();
    const cases: [string, number, string][] = [
      ['/pods/default/ghost', 404, 'pod "default/ghost" not found'],
      ['/pods/ghost-ns/ghost', 404, 'namespace "ghost-ns" not found'],
      ['/pods/Default/x', 400, 'invalid path parameter "namespace"'],
      ['/pods/default/UPPER', 400, 'invalid path parameter "pod"'],
    ];
    for (const [url, status, message] of cases) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBe(status);
      expect(res.json<{ error: string }>().error, url).toContain(message);
    }
  });
});
