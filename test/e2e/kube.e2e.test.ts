/** KubeCluster against a real API server: the scenarios of the Real Kubernetes issue. */
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAll } from '../../src/cluster/clusterClient.js';
import { buildNodeReport } from '../../src/cluster/nodeReport.js';
import { safeScale } from '../../src/cluster/ops.js';
import { parseCpu, parseMemory } from '../../src/cluster/quantity.js';
import { isQpError } from '../../src/core/errors.js';
import {
  ROOT,
  adminApis,
  createDeployment,
  createNamespace,
  deleteNamespace,
  e2eEnv,
  eventually,
  kubeCluster,
  kubectl,
  kubectlOk,
  serviceAccountKubeconfig,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('kube');
const cluster = () => kubeCluster(e2eEnv().kubeconfig);

beforeAll(async () => {
  await createNamespace(namespace);
});

afterAll(async () => {
  await deleteNamespace(namespace);
});

async function podsOf(app: string): Promise<V1Pod[]> {
  return (
    await listAll((o) => cluster().listPods(o), { namespace, labelSelector: `app=${app}` })
  ).filter((p) => !p.metadata?.deletionTimestamp);
}

describe('KubeCluster on a real API server', () => {
  it('scales a Deployment from 1 to 5 through the scale subresource and verifies it', async () => {
    await createDeployment({
      namespace,
      name: 'scaled',
      replicas: 1,
      cpuRequest: '50m',
      memoryRequest: '32Mi',
    });
    const k = cluster();
    await k.waitForWorkloadReady(namespace, 'scaled', 1, { timeoutMs: 60_000 });
    // Seed 000's safe scale: bounded, applied through the scale subresource, verified.
    const result = await safeScale(k, namespace, 'scaled', 5, {
      minReplicas: 1,
      maxReplicas: 10,
      timeoutMs: 60_000,
      pollIntervalMs: 250,
    });
    expect(result).toMatchObject({
      previousReplicas: 1,
      replicas: 5,
      readyReplicas: 5,
      clamped: false,
    });
    expect(await podsOf('scaled')).toHaveLength(5);
    const scale = JSON.parse(
      kubectlOk(['get', 'deployment', 'scaled', '-n', namespace, '-o', 'json']),
    ) as { spec: { replicas: number } };
    expect(scale.spec.replicas).toBe(5);
  });

  it('computes the node report that the API server implies, pod by pod', async () => {
    await createDeployment({
      namespace,
      name: 'report',
      replicas: 3,
      cpuRequest: '120m',
      memoryRequest: '100Mi',
      cpuLimit: '240m',
    });
    await cluster().waitForWorkloadReady(namespace, 'report', 3, { timeoutMs: 60_000 });
    const report = await buildNodeReport(cluster());
    // Independently: what kubectl says every active pod requests and limits, summed per node.
    const pods = JSON.parse(kubectlOk(['get', 'pods', '-A', '-o', 'json'])) as { items: V1Pod[] };
    const expected = new Map<string, { cpuReq: number; cpuLim: number; memReq: number }>();
    for (const pod of pods.items) {
      if (!pod.spec?.nodeName || ['Failed', 'Succeeded'].includes(pod.status?.phase ?? ''))
        continue;
      const e = expected.get(pod.spec.nodeName) ?? { cpuReq: 0, cpuLim: 0, memReq: 0 };
      for (const c of pod.spec.containers) {
        e.cpuReq += parseCpu(c.resources?.requests?.cpu ?? '0');
        e.cpuLim += parseCpu(c.resources?.limits?.cpu ?? '0');
        e.memReq += parseMemory(c.resources?.requests?.memory ?? '0');
      }
      expected.set(pod.spec.nodeName, e);
    }
    expect(report.Nodes.length).toBe(e2eEnv().nodes);
    for (const n of report.Nodes) {
      const e = expected.get(n.NodeName) ?? { cpuReq: 0, cpuLim: 0, memReq: 0 };
      expect(n.CPU.Requests.InstrumentedValue, n.NodeName).toBe(e.cpuReq);
      expect(n.CPU.Limits.InstrumentedValue, n.NodeName).toBe(e.cpuLim);
      expect(n.RAM.Requests.InstrumentedValue, n.NodeName).toBe(e.memReq);
      expect(n.CPU.Allocatable).toBe(4000);
    }
  });

  it('reads pod and node usage from metrics.k8s.io as the pods report it', async () => {
    await createDeployment({
      namespace,
      name: 'busy',
      replicas: 2,
      cpuRequest: '200m',
      memoryRequest: '128Mi',
      usageCpu: '150m',
      usageMemory: '80Mi',
    });
    const metrics = await eventually(
      'metrics of the busy pods',
      async () => {
        const m = await cluster().podMetrics({ namespace, labelSelector: 'app=busy' });
        return m.length === 2 ? m : undefined;
      },
      120_000,
      2_000,
    );
    for (const m of metrics) {
      expect(parseCpu(m.containers[0]!.usage.cpu)).toBeGreaterThanOrEqual(145);
      expect(parseCpu(m.containers[0]!.usage.cpu)).toBeLessThanOrEqual(155);
      expect(parseMemory(m.containers[0]!.usage.memory)).toBe(80 * 2 ** 20);
    }
    const nodes = await cluster().nodeMetrics();
    const busyNodes = new Set((await podsOf('busy')).map((p) => p.spec?.nodeName));
    for (const n of nodes.filter((x) => busyNodes.has(x.metadata.name)))
      expect(parseCpu(n.usage.cpu)).toBeGreaterThanOrEqual(145);
  });

  it('resizes a pod in place where the node supports it, and reports the method', async () => {
    await createDeployment({
      namespace,
      name: 'resizable',
      replicas: 1,
      cpuRequest: '100m',
      memoryRequest: '64Mi',
      cpuLimit: '200m',
      memoryLimit: '128Mi',
    });
    await cluster().waitForWorkloadReady(namespace, 'resizable', 1, { timeoutMs: 60_000 });
    const [pod] = await podsOf('resizable');
    const name = pod!.metadata!.name!;
    const result = await cluster().resizePod(
      namespace,
      name,
      { app: { requests: { cpu: '150m' }, limits: { cpu: '300m' } } },
      { fallbackToTemplate: true },
    );
    expect(result).toMatchObject({
      method: 'in_place',
      pod: name,
      containers: { app: { requests: { cpu: '150m' }, limits: { cpu: '300m' } } },
    });
    const after = await cluster().getPod(namespace, name);
    expect(after.spec?.containers[0]?.resources?.limits?.cpu).toBe('300m');
    expect(after.metadata?.uid).toBe(pod!.metadata?.uid);
  });

  it('falls back to the Deployment template when the API server refuses the resize, and says why', async () => {
    // requests = limits: Guaranteed. Lowering the request alone would make it Burstable, and
    // a resize may not change a pod's QoS class, so the API server refuses it (422).
    await createDeployment({
      namespace,
      name: 'guaranteed',
      replicas: 1,
      cpuRequest: '200m',
      memoryRequest: '64Mi',
      cpuLimit: '200m',
      memoryLimit: '64Mi',
    });
    await cluster().waitForWorkloadReady(namespace, 'guaranteed', 1, { timeoutMs: 60_000 });
    const [pod] = await podsOf('guaranteed');
    const change = { app: { requests: { cpu: '100m' } } };
    const refused = await cluster()
      .resizePod(namespace, pod!.metadata!.name!, change)
      .catch((e: unknown) => e);
    expect(isQpError(refused, 'QP_ERR_INFEASIBLE')).toBe(true);
    expect((refused as Error).message).toMatch(/QOS Class may not change/i);
    const result = await cluster().resizePod(namespace, pod!.metadata!.name!, change, {
      fallbackToTemplate: true,
    });
    expect(result).toMatchObject({ method: 'template', workload: 'guaranteed' });
    expect(result.fallbackReason).toMatch(/QOS/i);
    const dep = await cluster().getWorkload(namespace, 'guaranteed');
    expect(dep.spec?.template?.spec?.containers?.[0]?.resources?.requests?.cpu).toBe('100m');
  });

  it('drains a node as kubectl drain does, leaving DaemonSet pods where they are', async () => {
    await adminApis().apps.createNamespacedDaemonSet({
      namespace,
      body: {
        metadata: { name: 'node-agent' },
        spec: {
          selector: { matchLabels: { app: 'node-agent' } },
          template: {
            metadata: { labels: { app: 'node-agent' } },
            spec: {
              containers: [
                {
                  name: 'agent',
                  image: 'registry.example/agent:1',
                  resources: { requests: { cpu: '10m', memory: '16Mi' } },
                },
              ],
            },
          },
        },
      },
    });
    await createDeployment({
      namespace,
      name: 'drained',
      replicas: 2,
      cpuRequest: '50m',
      memoryRequest: '32Mi',
    });
    const k = cluster();
    await k.waitForWorkloadReady(namespace, 'drained', 2, { timeoutMs: 60_000 });
    const agents = await eventually('a DaemonSet pod on every node', async () => {
      const pods = (await podsOf('node-agent')).filter((p) => p.status?.phase === 'Running');
      return pods.length === e2eEnv().nodes ? pods : undefined;
    });
    const node = (await podsOf('drained'))[0]!.spec!.nodeName!;
    try {
      const result = await k.drainNode(node, { timeoutMs: 60_000, pollIntervalMs: 500 });
      const agentHere = agents.find((p) => p.spec?.nodeName === node)!;
      expect(result.skipped).toContainEqual({
        pod: `${namespace}/${agentHere.metadata!.name}`,
        reason: 'daemonset',
      });
      expect(result.evicted.some((p) => p.startsWith(`${namespace}/drained-`))).toBe(true);
      const left = await listAll((o) => k.listPods(o), {
        fieldSelector: `spec.nodeName=${node}`,
        namespace,
      });
      expect(
        left.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.labels?.app),
      ).toEqual(['node-agent']);
      await k.waitForWorkloadReady(namespace, 'drained', 2, { timeoutMs: 60_000 });
    } finally {
      await k.uncordonNode(node);
    }
  });

  it('pages through more than 250 pods, 100 at a time', async () => {
    await createDeployment({
      namespace,
      name: 'many',
      replicas: 260,
      cpuRequest: '1m',
      memoryRequest: '1Mi',
    });
    await cluster().waitForWorkloadReady(namespace, 'many', 260, {
      timeoutMs: 180_000,
      pollIntervalMs: 1000,
    });
    const names: string[] = [];
    const pageSizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await cluster().listPods({
        namespace,
        labelSelector: 'app=many',
        limit: 100,
        continue: token,
      });
      pageSizes.push(page.items.length);
      names.push(...page.items.map((p) => p.metadata!.name!));
      token = page.continue;
    } while (token);
    expect(pageSizes).toEqual([100, 100, 60]);
    expect(new Set(names).size).toBe(260);
    await cluster().scaleWorkload(namespace, 'many', 0);
  });

  it('names the verb and resource RBAC refuses', async () => {
    kubectlOk(['create', 'serviceaccount', 'nobody', '-n', namespace]);
    const nobody = kubeCluster(serviceAccountKubeconfig(namespace, 'nobody'));
    const err = await nobody.listPods({ namespace: 'default' }).catch((e: unknown) => e);
    expect(isQpError(err, 'QP_ERR_FORBIDDEN')).toBe(true);
    expect((err as Error).message).toMatch(
      /^forbidden: qpilot may not list pods in namespace "default" \(RBAC\): pods is forbidden: User "system:serviceaccount:.*:nobody" cannot list resource "pods"/,
    );
    const scale = await nobody.scaleWorkload(namespace, 'scaled', 2).catch((e: unknown) => e);
    expect((scale as Error).message).toMatch(/qpilot may not get deployments\/scale/);
  });

  it('ships RBAC manifests that the API server accepts', () => {
    // A server-side dry run does not create the namespace the ServiceAccounts live in.
    if (kubectl(['get', 'namespace', 'qpilot-system']).status !== 0)
      kubectlOk(['create', 'namespace', 'qpilot-system']);
    const r = kubectl([
      'apply',
      '--dry-run=server',
      '-f',
      `${ROOT}/deploy/rbac.yaml`,
      '-f',
      `${ROOT}/deploy/rbac-agent.yaml`,
    ]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /clusterrole.rbac.authorization.k8s.io\/qpilot (created|configured|unchanged) \(server dry run\)/,
    );
    expect(r.stdout).toMatch(
      /clusterrole.rbac.authorization.k8s.io\/qpilot-agent (created|configured|unchanged) \(server dry run\)/,
    );
  });
});
