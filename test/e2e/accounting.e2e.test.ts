/**
 * Resources counted as Kubernetes counts them, against the real control plane: qpilot's CPU
 * utilisation equals a real autoscaling/v2 HPA's status.currentMetrics on pods with an init
 * container, a sidecar, a RuntimeClass overhead and a template that sets only limits; `GET
 * /nodes` equals `kubectl describe node`'s allocated resources, a pod resized in place
 * included; and a Deployment that sets only limits is never scaled out at low usage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';
import { parseCpu, parseMemory } from '../../src/cluster/quantity.js';
import {
  adminApis,
  createNamespace,
  deleteNamespace,
  e2eEnv,
  eventually,
  kubectl,
  kubectlOk,
  nodeNames,
  sleep,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('accounting');
const runtimeClass = uniqueName('overhead');
let serve: ServeProcess;

interface Spec {
  name: string;
  replicas: number;
  /** The app container's resources. */
  app: { requests?: Record<string, string>; limits?: Record<string, string> };
  usageCpu: string;
  initContainers?: Record<string, unknown>[];
  runtimeClassName?: string;
  annotations?: Record<string, string>;
}

function deployment(s: Spec): string {
  const pod = {
    metadata: {
      labels: { app: s.name },
      annotations: { 'kwok.x-k8s.io/usage-cpu': s.usageCpu, 'kwok.x-k8s.io/usage-memory': '32Mi' },
    },
    spec: {
      containers: [{ name: 'app', image: 'registry.example/app:1.0', resources: s.app }],
      ...(s.initContainers ? { initContainers: s.initContainers } : {}),
      ...(s.runtimeClassName ? { runtimeClassName: s.runtimeClassName } : {}),
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, namespace, annotations: s.annotations ?? {} },
    spec: { replicas: s.replicas, selector: { matchLabels: { app: s.name } }, template: pod },
  });
}

function hpa(name: string): string {
  return JSON.stringify({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      // The replica count stays where it is: only the HPA's reading of the pods is wanted.
      minReplicas: 2,
      maxReplicas: 2,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
    },
  });
}

/** Workloads whose utilisation the HPA and qpilot both read; qpilot's loop leaves them alone. */
const measured: Spec[] = [
  {
    // A 1-CPU init container: the scheduler reserves 1 CPU, the HPA divides by 200m.
    name: 'with-init',
    replicas: 2,
    app: { requests: { cpu: '200m', memory: '64Mi' } },
    usageCpu: '100m',
    initContainers: [
      {
        name: 'migrate',
        image: 'registry.example/migrate:1.0',
        resources: { requests: { cpu: '1', memory: '32Mi' } },
      },
    ],
  },
  {
    // A sidecar (restartPolicy Always): its request counts beside the app's.
    name: 'with-sidecar',
    replicas: 2,
    app: { requests: { cpu: '100m', memory: '64Mi' } },
    usageCpu: '30m',
    initContainers: [
      {
        name: 'proxy',
        image: 'registry.example/proxy:1.0',
        restartPolicy: 'Always',
        resources: { requests: { cpu: '50m', memory: '16Mi' } },
      },
    ],
  },
  {
    // The RuntimeClass's overhead is the scheduler's business, not the HPA's.
    name: 'with-overhead',
    replicas: 2,
    app: { requests: { cpu: '200m', memory: '64Mi' } },
    usageCpu: '100m',
    runtimeClassName: runtimeClass,
  },
  {
    // Limits only: the API server gives the pods (not the template) requests equal to them.
    name: 'limit-only',
    replicas: 2,
    app: { limits: { cpu: '500m', memory: '256Mi' } },
    usageCpu: '100m',
  },
].map((s) => ({ ...s, annotations: { 'qpilot.io/mode': 'off' } }));

beforeAll(async () => {
  await createNamespace(namespace);
  kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'node.k8s.io/v1',
      kind: 'RuntimeClass',
      metadata: { name: runtimeClass },
      handler: 'runc',
      overhead: { podFixed: { cpu: '250m', memory: '120Mi' } },
    }),
  });
  for (const s of measured) {
    kubectlOk(['apply', '-f', '-'], { input: deployment(s) });
    kubectlOk(['apply', '-f', '-'], { input: hpa(s.name) });
  }
  // A pod to resize in place (qpilot changes only what it manages: recommend mode is enough).
  kubectlOk(['apply', '-f', '-'], {
    input: deployment({
      name: 'resizable',
      replicas: 1,
      app: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '400m' } },
      usageCpu: '50m',
      annotations: { 'qpilot.io/mode': 'recommend' },
    }),
  });
  // The one qpilot decides for: limits only, hardly busy, with the learned policy.
  kubectlOk(['apply', '-f', '-'], {
    input: deployment({
      name: 'idle-limits',
      replicas: 2,
      app: { limits: { cpu: '500m', memory: '256Mi' } },
      usageCpu: '10m',
      annotations: { 'qpilot.io/policy': 'dqn' },
    }),
  });
  serve = await startServe([
    '--kubeconfig',
    e2eEnv().kubeconfig,
    '--namespaces',
    namespace,
    '--dry-run',
    'false',
    '--auto-scale-enabled',
    'false',
  ]);
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  await deleteNamespace(namespace);
  kubectl(['delete', 'runtimeclass', runtimeClass, '--ignore-not-found']);
});

function hpaUtilization(name: string): number | undefined {
  const h = JSON.parse(kubectlOk(['get', 'hpa', name, '-n', namespace, '-o', 'json'])) as {
    status?: { currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[] };
  };
  return h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
}

describe('resource accounting on a real control plane', () => {
  it('reads CPU utilisation exactly as the HPA controller does', async () => {
    for (const s of measured) {
      const [theirs, ours] = await eventually(
        `the HPA's and qpilot's utilisation of ${s.name}`,
        async () => {
          const h = hpaUtilization(s.name);
          const q = (await serve.get(`/pod?namespace=${namespace}&deployment=${s.name}`)).body;
          const o = q.cpu_utilization_percent as number | null;
          return h !== undefined && o !== null && q.pods_with_metrics === 2 ? [h, o] : undefined;
        },
        180_000,
        2_000,
      );
      // The HPA reports whole percent, truncated.
      expect(Math.trunc(ours), s.name).toBe(theirs);
    }
    // And what they are, worked out by hand from the specs above.
    const expected: Record<string, number> = {
      'with-init': 50,
      'with-sidecar': 20,
      'with-overhead': 50,
      'limit-only': 20,
    };
    for (const [name, percent] of Object.entries(expected))
      expect(hpaUtilization(name), name).toBe(percent);
  });

  it("counts each node's requests and limits as kubectl describe node does, a resized pod included", async () => {
    const pod = (
      JSON.parse(
        kubectlOk(['get', 'pods', '-n', namespace, '-l', 'app=resizable', '-o', 'json']),
      ) as { items: { metadata: { name: string } }[] }
    ).items[0]!.metadata.name;
    // Smaller in place: until the node reports it done, the node still holds the old size.
    const resized = await serve.post(`/api/namespaces/${namespace}/pods/${pod}/resize`, {
      containers: { app: { requests: { cpu: '150m' } } },
    });
    expect(resized.status).toBe(200);
    expect(resized.body).toMatchObject({ scaling_method: 'vertical' });
    for (const node of nodeNames()) {
      await eventually(
        `GET /nodes to match kubectl describe node ${node}`,
        async () => {
          const ours = (
            (await serve.get('/nodes')).body.Nodes as {
              NodeName: string;
              CPU: {
                Requests: { InstrumentedValue: number };
                Limits: { InstrumentedValue: number };
              };
              RAM: {
                Requests: { InstrumentedValue: number };
                Limits: { InstrumentedValue: number };
              };
            }[]
          ).find((n) => n.NodeName === node)!;
          const theirs = describeAllocated(kubectlOk(['describe', 'node', node]));
          const got = {
            cpuRequests: ours.CPU.Requests.InstrumentedValue,
            cpuLimits: ours.CPU.Limits.InstrumentedValue,
            memoryRequests: ours.RAM.Requests.InstrumentedValue,
            memoryLimits: ours.RAM.Limits.InstrumentedValue,
          };
          return JSON.stringify(got) === JSON.stringify(theirs) ? true : undefined;
        },
        60_000,
        1_500,
      );
    }
  });

  it('never scales out a Deployment that sets only limits when its pods are hardly busy', async () => {
    await eventually(
      'metrics of idle-limits',
      async () => {
        const b = (await serve.get(`/pod?namespace=${namespace}&deployment=idle-limits`)).body;
        return b.pods_with_metrics === 2 ? true : undefined;
      },
      180_000,
      2_000,
    );
    for (let i = 0; i < 4; i++) {
      const cycle = await serve.post('/scale/all');
      expect(cycle.status).toBe(200);
      const idle = (cycle.body.results as { workload: string; message: string }[]).find(
        (r) => r.workload === 'idle-limits',
      )!;
      const dep = await adminApis().apps.readNamespacedDeployment({
        name: 'idle-limits',
        namespace,
      });
      expect(dep.spec?.replicas, idle.message).toBeLessThanOrEqual(2);
      await sleep(5_000);
    }
    const decisions = (await serve.get('/decisions?limit=50')).body.decisions as {
      workload: string;
      policy: string;
      explanation: { reasoning: string };
    }[];
    const mine = decisions.filter((d) => d.workload === 'idle-limits' && d.policy === 'dqn');
    expect(mine.length).toBeGreaterThan(0);
    // Demand read against the 500m the pods were given, never against a made-up request.
    for (const d of mine) expect(d.explanation.reasoning).toMatch(/CPU demand is 0\.\d+ pods/);
  });
});

/** The Requests and Limits of cpu and memory under "Allocated resources:" of kubectl describe node. */
function describeAllocated(text: string) {
  const section = text.slice(text.indexOf('Allocated resources:'));
  const row = (resource: string) => {
    const m = new RegExp(`^\\s+${resource}\\s+(\\S+) \\(\\d+%\\)\\s+(\\S+) \\(\\d+%\\)`, 'm').exec(
      section,
    );
    if (!m) throw new Error(`no ${resource} row in kubectl describe node:\n${section}`);
    return [m[1]!, m[2]!] as const;
  };
  const [cpuReq, cpuLim] = row('cpu');
  const [memReq, memLim] = row('memory');
  return {
    cpuRequests: parseCpu(cpuReq),
    cpuLimits: parseCpu(cpuLim),
    memoryRequests: parseMemory(memReq),
    memoryLimits: parseMemory(memLim),
  };
}
