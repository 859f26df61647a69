/** `qpilot serve --kubeconfig FILE` serving the read API of the real cluster. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminApis,
  createDeployment,
  createNamespace,
  deleteNamespace,
  e2eEnv,
  eventually,
  kubeCluster,
  nodeNames,
  uniqueName,
} from './lib/e2eEnv.js';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';

const namespace = uniqueName('serve');
let serve: ServeProcess;

beforeAll(async () => {
  await createNamespace(namespace);
  await createDeployment({
    namespace,
    name: 'web',
    replicas: 2,
    cpuRequest: '200m',
    memoryRequest: '128Mi',
    cpuLimit: '400m',
    usageCpu: '100m',
    usageMemory: '64Mi',
  });
  await kubeCluster(e2eEnv().kubeconfig).waitForWorkloadReady(namespace, 'web', 2, {
    timeoutMs: 60_000,
  });
  serve = await startServe(['--kubeconfig', e2eEnv().kubeconfig, '--namespaces', namespace]);
});

afterAll(async () => {
  await serve?.stop();
  await deleteNamespace(namespace);
});

describe('qpilot serve --kubeconfig', () => {
  it('says which cluster it serves and that it is healthy', async () => {
    expect((await serve.get('/')).body).toMatchObject({ service: 'qpilot', cluster: 'kube' });
    expect((await serve.get('/health')).body).toMatchObject({
      status: 'healthy',
      checks: { cluster: { kind: 'kube', status: 'ok' } },
    });
    expect(serve.output()).toMatch(
      /serving the Kubernetes API server https:\/\/127\.0\.0\.1:\d+ \(kubeconfig /,
    );
  });

  it("lists the watched namespace's pods and details one with its usage", async () => {
    const pods = await serve.get('/pods');
    expect(pods.status).toBe(200);
    const list = pods.body.pods as {
      name: string;
      namespace: string;
      status: string;
      node_name: string;
      owner: { kind: string };
    }[];
    expect(list).toHaveLength(2);
    expect(
      list.every(
        (p) => p.namespace === namespace && p.status === 'Running' && p.owner.kind === 'ReplicaSet',
      ),
    ).toBe(true);
    const detail = await eventually(
      'usage of a pod',
      async () => {
        const d = await serve.get(`/pods/${namespace}/${list[0]!.name}`);
        return (d.body.metrics as { cpu_usage_cores: number | null }).cpu_usage_cores !== null
          ? d
          : undefined;
      },
      120_000,
      2_000,
    );
    expect(detail.body).toMatchObject({
      success: true,
      resources: { cpu_requests_cores: 0.2, memory_requests_mb: 128, cpu_limits_cores: 0.4 },
    });
    expect((detail.body.metrics as { cpu_usage_cores: number }).cpu_usage_cores).toBeCloseTo(
      0.1,
      2,
    );
  });

  it("reports the Deployment's utilisation and the nodes' commitments", async () => {
    const pod = await eventually(
      'utilisation of web',
      async () => {
        const r = await serve.get(`/pod?namespace=${namespace}&deployment=web`);
        return r.body.pods_with_metrics === 2 ? r : undefined;
      },
      120_000,
      2_000,
    );
    expect(pod.body).toMatchObject({
      deployment: 'web',
      running_pods: 2,
      ready_pods: 2,
      total_pods: 2,
      desired_pods: 2,
    });
    // 100m used of 200m requested; the kwok controller's rates jitter by a percent or so.
    expect(pod.body.cpu_utilization_percent as number).toBeGreaterThan(45);
    expect(pod.body.cpu_utilization_percent as number).toBeLessThan(55);
    const nodes = await serve.get('/nodes');
    expect((nodes.body.Nodes as { NodeName: string }[]).map((n) => n.NodeName).sort()).toEqual(
      nodeNames().sort(),
    );
  });

  it('answers unknown namespaces and pods with 404s that name them', async () => {
    expect(await serve.get('/pods/ghost-ns/x')).toEqual({
      status: 404,
      body: { success: false, error: 'namespace "ghost-ns" not found', code: 'QP_ERR_NOT_FOUND' },
    });
    const pod = await serve.get(`/pods/${namespace}/ghost`);
    expect(pod.status).toBe(404);
    expect(pod.body.error).toBe(`pods "${namespace}/ghost" not found`);
  });

  it('decides for a pod, resizes it in place, and scales the Deployment by one, with an Event', async () => {
    const pods = (await serve.get(`/pods?namespace=${namespace}`)).body.pods as { name: string }[];
    const pod = pods[0]!.name;
    // Dry run (the default): a full decision object, and nothing changes.
    const decided = await serve.post(`/scale/pod/${namespace}/${pod}`);
    expect(decided.status).toBe(200);
    expect(decided.body.result).toMatchObject({
      pod_name: pod,
      namespace,
      workload: 'web',
      status: 'success',
      current_metrics: { cpu_limit: 0.4 },
    });
    expect(['dry_run', 'no_change']).toContain(
      (decided.body.result as { outcome: string }).outcome,
    );

    const resized = await serve.post(`/api/namespaces/${namespace}/pods/${pod}/resize`, {
      containers: { app: { requests: { cpu: '250m' }, limits: { cpu: '500m' } } },
    });
    expect(resized.status).toBe(200);
    expect(resized.body).toMatchObject({ pod, scaling_method: 'vertical' });
    const live = await kubeCluster(e2eEnv().kubeconfig).getPod(namespace, pod);
    expect(live.spec?.containers[0]?.resources?.requests?.cpu).toBe('250m');

    // Answered once the rollout is verified: the new pod is Ready.
    const out = await serve.post(`/pod/scale/out?namespace=${namespace}&deployment=web&wait=true`);
    expect(out.body).toMatchObject({
      previous_pods: 2,
      pods: 3,
      changed: true,
      outcome: 'applied',
    });
    expect(
      (await kubeCluster(e2eEnv().kubeconfig).getWorkload(namespace, 'web')).spec?.replicas,
    ).toBe(3);
    const events = await adminApis().core.listNamespacedEvent({ namespace });
    expect(
      events.items
        .filter((e) => e.reason === 'QpilotScaled' || e.reason === 'QpilotResized')
        .map((e) => e.message),
    ).toEqual(
      expect.arrayContaining([
        expect.stringContaining('manual: scaled web from 2 to 3 replicas'),
        expect.stringContaining(`manual: resize pod ${pod}`),
      ]) as unknown,
    );
    // Both verified: the resize by the next look at the changes in flight.
    await eventually('both changes applied', async () => {
      const decisions = await serve.get('/decisions?limit=10');
      const manual = (decisions.body.decisions as { policy: string; outcome: string }[])
        .filter((d) => d.policy === 'manual')
        .map((d) => d.outcome);
      return manual.join() === 'applied,applied' ? true : undefined;
    });
  });
});
