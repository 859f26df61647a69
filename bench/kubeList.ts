/**
 * Listing 5,000 pods (paged, 100 a page) and computing the node report against a real API
 * server, beside `kubectl get pods -A -o json` on the same cluster in the same run. Starts its
 * own cluster of 50 kwok nodes with test/e2e/cluster.sh. Target: within 1.5x of kubectl.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../src/cluster/kube/kubeCluster.js';
import { buildNodeReport } from '../src/cluster/nodeReport.js';
import { RealClock } from '../src/core/clock.js';
import { BENCH_DIR, emit, median } from './lib.js';

const ROOT = join(BENCH_DIR, '..');
const PODS = 5000;
const env = {
  ...process.env,
  QPILOT_E2E_WORKDIR: '/tmp/qpilot-bench',
  QPILOT_E2E_CLUSTER: 'qpilot-bench',
  QPILOT_E2E_DISABLE_QPS_LIMITS: '1',
};

function cluster(args: string[]): string {
  const r = spawnSync('bash', [join(ROOT, 'test', 'e2e', 'cluster.sh'), ...args], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`cluster.sh ${args.join(' ')} failed`);
  return r.stdout.trim().split('\n').pop() ?? '';
}

async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function kubeList(rounds = 5): Promise<void> {
  const e2e = JSON.parse(readFileSync(cluster(['up', '50']), 'utf8')) as {
    kubeconfig: string;
    bin: string;
  };
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(e2e.kubeconfig);
    const apps = kc.makeApiClient(AppsV1Api);
    const core = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 10; i++) {
      await apps.createNamespacedDeployment({
        namespace: 'default',
        body: {
          metadata: { name: `bulk-${i}` },
          spec: {
            replicas: PODS / 10,
            selector: { matchLabels: { app: `bulk-${i}` } },
            template: {
              metadata: { labels: { app: `bulk-${i}` } },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'registry.example/app:1',
                    resources: { requests: { cpu: '1m', memory: '1Mi' }, limits: { cpu: '2m' } },
                  },
                ],
              },
            },
          },
        },
      });
    }
    await until(
      `${PODS} running pods`,
      async () =>
        (
          await core.listNamespacedPod({
            namespace: 'default',
            fieldSelector: 'status.phase=Running',
          })
        ).items.length >= PODS,
      900_000,
    );

    const kube = new KubeCluster(kc, new RealClock());
    const kubectl = () => {
      const t0 = performance.now();
      const r = spawnSync(
        join(e2e.bin, 'kubectl'),
        ['--kubeconfig', e2e.kubeconfig, 'get', 'pods', '-A', '-o', 'json'],
        { stdio: ['ignore', 'ignore', 'inherit'] },
      );
      if (r.status !== 0) throw new Error('kubectl failed');
      return performance.now() - t0;
    };
    const qpilot = async () => {
      const t0 = performance.now();
      const report = await buildNodeReport(kube);
      const ms = performance.now() - t0;
      if (report.Nodes.length !== 50) throw new Error(`report has ${report.Nodes.length} nodes`);
      return ms;
    };
    await qpilot();
    kubectl();
    const q: number[] = [];
    const k: number[] = [];
    for (let i = 0; i < rounds; i++) {
      q.push(await qpilot());
      k.push(kubectl());
    }
    const qMs = median(q);
    const kMs = median(k);
    emit({
      bench: 'kube-list',
      nodes: 50,
      pods: PODS,
      pageSize: 100,
      rounds,
      qpilotNodeReportMs: Math.round(qMs),
      kubectlGetPodsJsonMs: Math.round(kMs),
      ratio: Number((qMs / kMs).toFixed(3)),
      target: 1.5,
    });
  } finally {
    cluster(['down']);
  }
}
