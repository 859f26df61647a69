/**
 * Listing 5,000 pods (paged, 100 a page) and computing the node report against a real API
 * server, beside `kubectl get pods -A -o json` on the same cluster in the same run. Starts its
 * own cluster of 50 kwok nodes with test/e2e/cluster.sh. Target: within 1.5x of kubectl.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeCluster } from '../src/cluster/kube/kubeCluster.js';
import { buildNodeReport } from '../src/cluster/nodeReport.js';
import { RealClock } from '../src/core/clock.js';
import { benchCluster as cluster, bulkPods, emit, median } from './lib.js';

const PODS = 5000;

export async function kubeList(rounds = 5): Promise<void> {
  const e2e = JSON.parse(readFileSync(cluster(['up', '50']), 'utf8')) as {
    kubeconfig: string;
    bin: string;
  };
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(e2e.kubeconfig);
    await bulkPods(kc, PODS);

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
