/**
 * The PromQL metric source against a real Prometheus that scrapes the kwok controller's
 * cAdvisor-style series (container_cpu_usage_seconds_total, container_memory_working_set_bytes).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/core/clock.js';
import { PrometheusSource } from '../../src/metrics/prometheus.js';
import {
  component,
  createDeployment,
  createNamespace,
  deleteNamespace,
  e2eEnv,
  eventually,
  kubeCluster,
  nodeNames,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('prom');
let prometheus: ChildProcess | undefined;
let promUrl = '';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  await createNamespace(namespace);
  await createDeployment({
    namespace,
    name: 'watched',
    replicas: 2,
    cpuRequest: '300m',
    memoryRequest: '128Mi',
    usageCpu: '150m',
    usageMemory: '80Mi',
  });
  await kubeCluster(e2eEnv().kubeconfig).waitForWorkloadReady(namespace, 'watched', 2, {
    timeoutMs: 60_000,
  });

  const kwok = component('kwok-controller');
  const kwokPort = kwok.ports?.[0]?.port;
  const dir = join(e2eEnv().workdir, 'prometheus');
  mkdirSync(dir, { recursive: true });
  // One target per node: the kwok controller serves each node's resource metrics on its own path.
  const targets = nodeNames()
    .map(
      (n) =>
        `      - targets: ['127.0.0.1:${kwokPort}']\n        labels: { __metrics_path__: '/metrics/nodes/${n}/metrics/resource', node: '${n}' }`,
    )
    .join('\n');
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 2s, evaluation_interval: 2s }\nscrape_configs:\n  - job_name: kwok-resource\n    scheme: https\n    tls_config: { insecure_skip_verify: true }\n    static_configs:\n${targets}\n`,
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    join(e2eEnv().bin, 'prometheus'),
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  await eventually(
    'Prometheus to be ready',
    async () => ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
    60_000,
    500,
  );
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    prometheus.kill('SIGTERM');
    await once(prometheus, 'exit');
  }
  await deleteNamespace(namespace);
});

describe('PrometheusSource on a real Prometheus', () => {
  it("reads a Deployment's CPU and memory with PromQL", async () => {
    const source = new PrometheusSource(promUrl, new RealClock());
    const signals = await eventually(
      'CPU from Prometheus',
      async () => {
        const s = await source.workloadSignals(namespace, 'watched');
        return s.cpuCores !== null && s.cpuCores > 0.25 ? s : undefined;
      },
      120_000,
      2_000,
    );
    // Two pods at 150m each, as their usage annotations say.
    expect(signals.cpuCores!).toBeCloseTo(0.3, 1);
    expect(signals.memoryBytes).toBe(2 * 80 * 2 ** 20);
    // The kwok controller exports no request-latency histogram: no data, not an error.
    expect(signals.latencyP95Ms).toBeNull();
  });

  it('reports a malformed query as a bad argument', async () => {
    const source = new PrometheusSource(promUrl, new RealClock());
    await expect(source.query('sum(')).rejects.toMatchObject({ code: 'QP_ERR_INVALID_ARGUMENT' });
  });
});
