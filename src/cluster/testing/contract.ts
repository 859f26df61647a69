/**
 * The ClusterClient contract (ARCHITECTURE.md rule 6): one suite that every implementation
 * passes, the simulator here and the real API server in test/e2e. A harness supplies the
 * client, a fresh namespace, fixtures made through the implementation's own back door, and a
 * way to let cluster time pass.
 */
import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { isQpError } from '../../core/errors.js';
import { type ClusterClient, listAll } from '../clusterClient.js';
import { parseCpu } from '../quantity.js';
import { isPodReady } from '../podStatus.js';

export interface ContractDeployment {
  name: string;
  replicas: number;
  cpuRequest: string;
  memoryRequest: string;
  cpuLimit?: string;
  memoryLimit?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface ContractHarness {
  client: ClusterClient;
  /** A namespace of this test's own. */
  namespace: string;
  /** At least two schedulable nodes, each with room for 2 CPU and 2 GiB of requests. */
  nodes: string[];
  createDeployment(spec: ContractDeployment): Promise<void>;
  createPdb(spec: {
    name: string;
    matchLabels: Record<string, string>;
    minAvailable?: number;
    maxUnavailable?: number;
  }): Promise<void>;
  /** Awaits `p` while the cluster's time passes (a manual clock is driven; real time just runs). */
  settle<T>(p: Promise<T>): Promise<T>;
  /** Lets `ms` of cluster time pass. */
  elapse(ms: number): Promise<void>;
  /** How long pod metrics may take to appear after pods are Ready. */
  metricsDelayMs: number;
  /** Generous bound for a Deployment of a few pods to become Ready. */
  readyTimeoutMs: number;
  dispose(): Promise<void>;
}

async function expectCode(p: Promise<unknown>, code: string, messagePart?: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).toBeDefined();
  expect(isQpError(caught) ? caught.code : caught).toBe(code);
  if (messagePart) expect((caught as Error).message).toContain(messagePart);
}

function withHarness(
  make: () => Promise<ContractHarness>,
  fn: (h: ContractHarness) => Promise<void>,
) {
  return async () => {
    const h = await make();
    try {
      await fn(h);
    } finally {
      await h.dispose();
    }
  };
}

async function readyDeployment(h: ContractHarness, spec: ContractDeployment): Promise<void> {
  await h.createDeployment(spec);
  await h.settle(
    h.client.waitForWorkloadReady(h.namespace, spec.name, spec.replicas, {
      timeoutMs: h.readyTimeoutMs,
      pollIntervalMs: 500,
    }),
  );
}

async function podsOf(h: ContractHarness, app: string): Promise<V1Pod[]> {
  const pods = await listAll((o) => h.client.listPods(o), {
    namespace: h.namespace,
    labelSelector: `app=${app}`,
  });
  return pods.filter((p) => !p.metadata?.deletionTimestamp);
}

const small = (
  name: string,
  replicas: number,
  extra: Partial<ContractDeployment> = {},
): ContractDeployment => ({
  name,
  replicas,
  cpuRequest: '100m',
  memoryRequest: '64Mi',
  cpuLimit: '200m',
  memoryLimit: '128Mi',
  labels: { app: name },
  ...extra,
});

export function runClusterClientContract(name: string, make: () => Promise<ContractHarness>): void {
  describe(`ClusterClient contract: ${name}`, () => {
    it(
      'lists namespaces and nodes, with capacity and allocatable',
      withHarness(make, async (h) => {
        expect(await h.client.listNamespaces()).toContain(h.namespace);
        const nodes = await listAll((o) => h.client.listNodes(o));
        const names = nodes.map((n) => n.metadata?.name);
        for (const n of h.nodes) expect(names).toContain(n);
        const node = await h.client.getNode(h.nodes[0]!);
        expect(parseCpu(node.status?.allocatable?.cpu ?? '0')).toBeGreaterThan(0);
        expect(node.status?.capacity?.memory).toBeDefined();
        await expectCode(h.client.getNode('no-such-node'), 'QP_ERR_NOT_FOUND', 'no-such-node');
      }),
    );

    it(
      'lists workloads with replicas, ready replicas, selector, template resources and annotations',
      withHarness(make, async (h) => {
        await readyDeployment(
          h,
          small('web', 2, { annotations: { 'qpilot.io/mode': 'recommend' } }),
        );
        const page = await h.client.listWorkloads({ namespace: h.namespace });
        const web = page.items.find((d) => d.metadata?.name === 'web');
        expect(web?.spec?.replicas).toBe(2);
        expect(web?.status?.readyReplicas).toBe(2);
        expect(web?.spec?.selector?.matchLabels).toMatchObject({ app: 'web' });
        expect(web?.metadata?.annotations?.['qpilot.io/mode']).toBe('recommend');
        const c = web?.spec?.template?.spec?.containers?.[0];
        expect(parseCpu(c?.resources?.requests?.cpu ?? '0')).toBe(100);
        expect(parseCpu(c?.resources?.limits?.cpu ?? '0')).toBe(200);
        const got = await h.client.getWorkload(h.namespace, 'web');
        expect(got.metadata?.uid).toBe(web?.metadata?.uid);
        await expectCode(h.client.getWorkload(h.namespace, 'nope'), 'QP_ERR_NOT_FOUND', 'nope');
      }),
    );

    it(
      'lists pods with namespace, label and field selectors, and gets one',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 2));
        await readyDeployment(h, small('api', 1));
        const web = await podsOf(h, 'web');
        expect(web).toHaveLength(2);
        const all = await listAll((o) => h.client.listPods(o), { namespace: h.namespace });
        expect(all.length).toBeGreaterThanOrEqual(3);
        const notWeb = await listAll((o) => h.client.listPods(o), {
          namespace: h.namespace,
          labelSelector: 'app!=web',
        });
        expect(notWeb.every((p) => p.metadata?.labels?.app !== 'web')).toBe(true);
        const node = web[0]!.spec!.nodeName!;
        const onNode = await listAll((o) => h.client.listPods(o), {
          namespace: h.namespace,
          fieldSelector: `spec.nodeName=${node},status.phase!=Failed,status.phase!=Succeeded`,
        });
        expect(onNode.length).toBeGreaterThan(0);
        expect(onNode.every((p) => p.spec?.nodeName === node)).toBe(true);
        const running = await listAll((o) => h.client.listPods(o), {
          namespace: h.namespace,
          fieldSelector: 'status.phase=Running',
        });
        expect(running.length).toBeGreaterThanOrEqual(3);
        const one = await h.client.getPod(h.namespace, web[0]!.metadata!.name!);
        expect(one.metadata?.uid).toBe(web[0]!.metadata?.uid);
        expect(isPodReady(one)).toBe(true);
        expect(one.spec?.containers?.[0]?.resources?.requests?.memory).toBeDefined();
        await expectCode(
          h.client.getPod(h.namespace, 'no-such-pod'),
          'QP_ERR_NOT_FOUND',
          'no-such-pod',
        );
        await expectCode(
          h.client.listPods({ namespace: h.namespace, labelSelector: 'app in (a b' }),
          'QP_ERR_INVALID_ARGUMENT',
        );
      }),
    );

    it(
      'pages pod listings with limit and continue, without losing or repeating a pod',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('many', 5, { cpuRequest: '10m', cpuLimit: '20m' }));
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await h.client.listPods({
            namespace: h.namespace,
            labelSelector: 'app=many',
            limit: 2,
            continue: token,
          });
          expect(page.items.length).toBeLessThanOrEqual(2);
          seen.push(...page.items.map((p) => p.metadata!.name!));
          token = page.continue;
          pages++;
        } while (token);
        expect(pages).toBe(3);
        expect(new Set(seen).size).toBe(5);
        await expectCode(
          h.client.listPods({ namespace: h.namespace, limit: 2, continue: 'garbage' }),
          'QP_ERR_INVALID_ARGUMENT',
        );
      }),
    );

    it(
      'scales through the scale subresource and verifies readiness, both ways',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 1));
        const up = await h.client.scaleWorkload(h.namespace, 'web', 3);
        expect(up).toMatchObject({ previousReplicas: 1, replicas: 3 });
        const ready = await h.settle(
          h.client.waitForWorkloadReady(h.namespace, 'web', 3, {
            timeoutMs: h.readyTimeoutMs,
            pollIntervalMs: 500,
          }),
        );
        expect(ready.readyReplicas).toBe(3);
        expect(await podsOf(h, 'web')).toHaveLength(3);
        await h.client.scaleWorkload(h.namespace, 'web', 1);
        await h.settle(
          h.client.waitForWorkloadReady(h.namespace, 'web', 1, {
            timeoutMs: h.readyTimeoutMs,
            pollIntervalMs: 500,
          }),
        );
        expect((await h.client.getWorkload(h.namespace, 'web')).status?.replicas).toBe(1);
        await expectCode(h.client.scaleWorkload(h.namespace, 'web', -1), 'QP_ERR_INVALID_ARGUMENT');
        await expectCode(
          h.client.scaleWorkload(h.namespace, 'nope', 2),
          'QP_ERR_NOT_FOUND',
          'nope',
        );
      }),
    );

    it(
      'fails verification with a coded timeout when pods cannot become ready',
      withHarness(make, async (h) => {
        await h.createDeployment(small('huge', 1, { cpuRequest: '100000', cpuLimit: '100000' }));
        await expectCode(
          h.settle(
            h.client.waitForWorkloadReady(h.namespace, 'huge', 1, {
              timeoutMs: 3_000,
              pollIntervalMs: 500,
            }),
          ),
          'QP_ERR_TIMEOUT',
          '0/1 pods ready',
        );
      }),
    );

    it(
      'reports pod and node usage metrics',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 2));
        const deadline = h.metricsDelayMs;
        let waited = 0;
        let metrics = await h.client.podMetrics({
          namespace: h.namespace,
          labelSelector: 'app=web',
        });
        while (metrics.length < 2 && waited < deadline) {
          await h.elapse(5_000);
          waited += 5_000;
          metrics = await h.client.podMetrics({ namespace: h.namespace, labelSelector: 'app=web' });
        }
        expect(metrics).toHaveLength(2);
        for (const m of metrics) {
          expect(m.metadata.namespace).toBe(h.namespace);
          expect(m.containers[0]?.usage.cpu).toMatch(/^\d+(n|u|m)?$/);
          expect(m.containers[0]?.usage.memory).toMatch(/^\d+(Ki|Mi|Gi)?$/);
        }
        // Nodes that run pods report usage (metrics-server may have no figure for an empty one).
        const busy = new Set((await podsOf(h, 'web')).map((p) => p.spec?.nodeName));
        const nodes = await h.client.nodeMetrics();
        for (const n of busy) expect(nodes.map((x) => x.metadata.name)).toContain(n);
        for (const m of nodes) expect(m.usage.cpu).toMatch(/^\d+(n|u|m)?$/);
      }),
    );

    it(
      'resizes a pod in place or through the template, and says which',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 1));
        const [pod] = await podsOf(h, 'web');
        const name = pod!.metadata!.name!;
        const container = pod!.spec!.containers[0]!.name;
        const change = { [container]: { requests: { cpu: '150m' }, limits: { cpu: '300m' } } };
        const result = await h.client.resizePod(h.namespace, name, change, {
          fallbackToTemplate: true,
        });
        expect(['in_place', 'template']).toContain(result.method);
        if (result.method === 'in_place') {
          const after = await h.client.getPod(h.namespace, name);
          expect(parseCpu(after.spec?.containers?.[0]?.resources?.limits?.cpu ?? '0')).toBe(300);
        } else {
          expect(result.workload).toBe('web');
          expect(result.fallbackReason).toBeTruthy();
          const dep = await h.client.getWorkload(h.namespace, 'web');
          expect(
            parseCpu(dep.spec?.template?.spec?.containers?.[0]?.resources?.limits?.cpu ?? '0'),
          ).toBe(300);
        }
        // A template change replaces the pod, so ask again for one that exists now.
        await h.settle(
          h.client.waitForWorkloadReady(h.namespace, 'web', 1, {
            timeoutMs: h.readyTimeoutMs,
            pollIntervalMs: 500,
          }),
        );
        const [current] = await podsOf(h, 'web');
        await expectCode(
          h.client.resizePod(h.namespace, current!.metadata!.name!, {
            nope: { limits: { cpu: '1' } },
          }),
          'QP_ERR_INVALID_ARGUMENT',
          'nope',
        );
        await expectCode(
          h.client.resizePod(h.namespace, 'no-such-pod', change),
          'QP_ERR_NOT_FOUND',
        );
      }),
    );

    it(
      "updates a workload's template resources",
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 2));
        const dep = await h.client.getWorkload(h.namespace, 'web');
        const container = dep.spec!.template.spec!.containers[0]!.name;
        await h.client.updateWorkloadResources(h.namespace, 'web', {
          [container]: { requests: { memory: '96Mi' } },
        });
        const after = await h.client.getWorkload(h.namespace, 'web');
        expect(after.spec?.template?.spec?.containers?.[0]?.resources?.requests?.memory).toBe(
          '96Mi',
        );
        await h.settle(
          h.client.waitForWorkloadReady(h.namespace, 'web', 2, {
            timeoutMs: h.readyTimeoutMs,
            pollIntervalMs: 500,
          }),
        );
        // A real cluster's Deployment status can run a moment ahead of its pod list.
        const rolledOut = async () => {
          const pods = await podsOf(h, 'web');
          return (
            pods.length === 2 &&
            pods.every((p) => p.spec?.containers?.[0]?.resources?.requests?.memory === '96Mi')
          );
        };
        for (let i = 0; i < 20 && !(await rolledOut()); i++) await h.elapse(500);
        expect(await rolledOut()).toBe(true);
      }),
    );

    it(
      'refuses an eviction a PodDisruptionBudget forbids, and allows one it permits',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 2));
        await h.createPdb({ name: 'web-all', matchLabels: { app: 'web' }, minAvailable: 2 });
        await h.elapse(2_000);
        const [a] = await podsOf(h, 'web');
        await expectCode(
          h.client.evictPod(h.namespace, a!.metadata!.name!),
          'QP_ERR_DISRUPTION_BUDGET',
        );
        await readyDeployment(h, small('api', 2));
        await h.createPdb({ name: 'api-one', matchLabels: { app: 'api' }, maxUnavailable: 1 });
        await h.elapse(2_000);
        const [b] = await podsOf(h, 'api');
        await h.client.evictPod(h.namespace, b!.metadata!.name!);
        await h.settle(
          h.client.waitForWorkloadReady(h.namespace, 'api', 2, {
            timeoutMs: h.readyTimeoutMs,
            pollIntervalMs: 500,
          }),
        );
        const names = (await podsOf(h, 'api')).map((p) => p.metadata?.name);
        expect(names).not.toContain(b!.metadata!.name);
        await expectCode(h.client.evictPod(h.namespace, 'no-such-pod'), 'QP_ERR_NOT_FOUND');
      }),
    );

    it(
      'deletes a pod, which its Deployment replaces',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 2));
        const [victim] = await podsOf(h, 'web');
        await h.client.deletePod(h.namespace, victim!.metadata!.name!, { gracePeriodSeconds: 0 });
        await h.elapse(1_000);
        await h.settle(
          h.client.waitForWorkloadReady(h.namespace, 'web', 2, {
            timeoutMs: h.readyTimeoutMs,
            pollIntervalMs: 500,
          }),
        );
        const names = (await podsOf(h, 'web')).map((p) => p.metadata?.name);
        expect(names).toHaveLength(2);
        expect(names).not.toContain(victim!.metadata!.name);
        await expectCode(h.client.deletePod(h.namespace, 'no-such-pod'), 'QP_ERR_NOT_FOUND');
      }),
    );

    it(
      'cordons, uncordons and drains a node, honouring a budget',
      withHarness(make, async (h) => {
        const node = h.nodes[0]!;
        await h.client.cordonNode(node);
        expect((await h.client.getNode(node)).spec?.unschedulable).toBe(true);
        await h.client.uncordonNode(node);
        expect((await h.client.getNode(node)).spec?.unschedulable).toBeFalsy();

        await readyDeployment(h, small('web', 4));
        await h.createPdb({ name: 'web-pdb', matchLabels: { app: 'web' }, maxUnavailable: 1 });
        const target = (await podsOf(h, 'web'))[0]!.spec!.nodeName!;
        try {
          const result = await h.settle(
            h.client.drainNode(target, { timeoutMs: h.readyTimeoutMs * 2, pollIntervalMs: 1_000 }),
          );
          expect(result.node).toBe(target);
          expect(result.evicted.length).toBeGreaterThan(0);
          expect((await h.client.getNode(target)).spec?.unschedulable).toBe(true);
          const left = await listAll((o) => h.client.listPods(o), {
            namespace: h.namespace,
            fieldSelector: `spec.nodeName=${target}`,
          });
          expect(left.filter((p) => !p.metadata?.deletionTimestamp)).toHaveLength(0);
          await h.settle(
            h.client.waitForWorkloadReady(h.namespace, 'web', 4, {
              timeoutMs: h.readyTimeoutMs,
              pollIntervalMs: 500,
            }),
          );
          expect((await podsOf(h, 'web')).every((p) => p.spec?.nodeName !== target)).toBe(true);
        } finally {
          await h.client.uncordonNode(target);
        }
        await expectCode(h.client.cordonNode('no-such-node'), 'QP_ERR_NOT_FOUND');
      }),
    );

    it(
      'labels nodes, pods and workloads, and removes labels',
      withHarness(make, async (h) => {
        await readyDeployment(h, small('web', 1));
        const [pod] = await podsOf(h, 'web');
        const node = h.nodes[1]!;
        await h.client.label({ kind: 'Node', name: node }, { 'qpilot.io/test': 'yes' });
        expect((await h.client.getNode(node)).metadata?.labels?.['qpilot.io/test']).toBe('yes');
        await h.client.label({ kind: 'Node', name: node }, { 'qpilot.io/test': null });
        expect((await h.client.getNode(node)).metadata?.labels?.['qpilot.io/test']).toBeUndefined();
        await h.client.label(
          { kind: 'Pod', namespace: h.namespace, name: pod!.metadata!.name! },
          { tier: 'frontend' },
        );
        expect(
          (await h.client.getPod(h.namespace, pod!.metadata!.name!)).metadata?.labels?.tier,
        ).toBe('frontend');
        await h.client.label(
          { kind: 'Deployment', namespace: h.namespace, name: 'web' },
          { team: 'a' },
        );
        expect((await h.client.getWorkload(h.namespace, 'web')).metadata?.labels?.team).toBe('a');
        await expectCode(
          h.client.label({ kind: 'Node', name: node }, { 'bad key!': 'x' }),
          'QP_ERR_INVALID_ARGUMENT',
        );
      }),
    );

    it(
      'records an Event about a workload (qpilot has the permission to)',
      withHarness(make, async (h) => {
        await h.createDeployment(small('web', 1));
        await expect(
          h.client.recordEvent(
            { kind: 'Deployment', namespace: h.namespace, name: 'web' },
            { type: 'Normal', reason: 'QpilotScaled', message: 'contract: scaled web' },
          ),
        ).resolves.toBeUndefined();
      }),
    );
  });
}
