/**
 * What the API server sees from qpilot in a steady state, read from its own
 * apiserver_request_total: with 1,000 Autopilots the request rate is what it is with 10. The
 * loop reads Deployments, pods and Autopilots from watches, lists only pod metrics (one per
 * namespace per cycle), and writes a status only when it changes (ADR 14).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';
import {
  ROOT,
  createNamespace,
  deleteNamespace,
  eventually,
  installAutopilotCrd,
  kubectlOk,
  serviceAccountKubeconfig,
  sleep,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('rate');
const WORKLOADS = 1000;
const INTERVAL_SEC = 5;
const WINDOW_MS = 20_000;
/** The resources qpilot's loop reads and writes. */
const RESOURCES = new Set(['deployments', 'pods', 'autopilots', 'events']);
let serve: ServeProcess;

function list(items: unknown[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

function deployment(i: number) {
  const labels = { app: `w${i}` };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `w${i}`, namespace, labels },
    spec: {
      replicas: 0,
      // Paused: the Deployment controller makes no ReplicaSet, only a status, for each.
      paused: true,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'registry.example/app:1.0',
              resources: { requests: { cpu: '100m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

function autopilot(i: number) {
  return {
    apiVersion: 'qpilot.io/v1alpha1',
    kind: 'Autopilot',
    metadata: { name: `w${i}`, namespace },
    spec: { targetRef: { kind: 'Deployment', name: `w${i}` }, mode: 'Recommend', policy: 'hpa' },
  };
}

/** Requests the API server has answered on qpilot's resources, watches aside, by verb. */
function requestCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of kubectlOk(['get', '--raw', '/metrics']).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (!RESOURCES.has(labels.resource ?? '') || labels.verb === 'WATCH') continue;
    // The Deployment controller writes Deployments' status; qpilot never does.
    if (labels.resource === 'deployments' && labels.subresource === 'status') continue;
    const key = `${labels.verb} ${labels.group ? `${labels.group}/` : ''}${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/** Requests per second over the window, in total and by verb and resource. */
async function measure(): Promise<{ perSec: number; by: Record<string, number> }> {
  const before = requestCounts();
  await sleep(WINDOW_MS);
  const after = requestCounts();
  const by: Record<string, number> = {};
  let total = 0;
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) by[k] = d;
    total += d;
  }
  return { perSec: total / (WINDOW_MS / 1000), by };
}

function autopilotsWithStatus(): number {
  const out = kubectlOk([
    'get',
    'ap',
    '-n',
    namespace,
    '-o',
    'jsonpath={range .items[*]}{.status.observedGeneration}{"\\n"}{end}',
  ]);
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

beforeAll(async () => {
  installAutopilotCrd();
  kubectlOk(['apply', '-f', `${ROOT}/deploy/rbac.yaml`]);
  await createNamespace(namespace);
  kubectlOk(['apply', '-f', '-'], {
    input: list(Array.from({ length: WORKLOADS }, (_, i) => deployment(i))),
  });
}, 240_000);

/** qpilot as its ServiceAccount, a cycle every INTERVAL_SEC. */
function startQpilot(args: string[]): Promise<ServeProcess> {
  return startServe([
    '--kubeconfig',
    serviceAccountKubeconfig('qpilot-system', 'qpilot'),
    '--auto-scale-enabled',
    'true',
    '--auto-scale-interval',
    String(INTERVAL_SEC),
    ...args,
  ]);
}

afterAll(async () => {
  await serve?.stop();
  await deleteNamespace(namespace);
});

describe("the API server's view of qpilot", () => {
  it('sees no more requests from 1,000 Autopilots than from 10', async () => {
    // Before: the loop of ADR 11 over the same 1,000 Deployments, by their annotations (in dry
    // run), listing Deployments and pods every cycle.
    const old = await startQpilot(['--kube-watch', 'false', '--namespaces', namespace]);
    await sleep(INTERVAL_SEC * 1000 + 1000);
    const before = await measure();
    await old.stop();
    kubectlOk(['apply', '-f', '-'], {
      input: list(Array.from({ length: 10 }, (_, i) => autopilot(i))),
    });
    serve = await startQpilot(['--autopilots-only', 'true', '--dry-run', 'false']);
    await eventually(
      '10 statuses',
      () => (autopilotsWithStatus() === 10 ? true : undefined),
      120_000,
      2000,
    );
    await sleep(INTERVAL_SEC * 1000 + 1000);
    const ten = await measure();
    kubectlOk(['apply', '-f', '-'], {
      input: list(Array.from({ length: WORKLOADS - 10 }, (_, i) => autopilot(i + 10))),
    });
    await eventually(
      `${WORKLOADS} statuses`,
      () => (autopilotsWithStatus() === WORKLOADS ? true : undefined),
      180_000,
      2000,
    );
    await sleep(INTERVAL_SEC * 1000 + 1000);
    const thousand = await measure();
    console.log(
      JSON.stringify({ bench: 'apiRequestRate', interval_s: INTERVAL_SEC, before, ten, thousand }),
    );
    // The listing loop did list (the measurement sees it), and the watching one does not.
    expect(before.by['LIST apps/deployments'] ?? 0).toBeGreaterThan(0);
    expect(thousand.perSec).toBeLessThan(before.perSec);
    // One request per workload per cycle would be 200 a second more; the steady state adds none.
    expect(thousand.perSec).toBeLessThanOrEqual(ten.perSec * 1.5 + 1);
    // Deployments and pods come from watches: no cycle lists them.
    expect(thousand.by['LIST apps/deployments'] ?? 0).toBe(0);
    expect(thousand.by['LIST pods'] ?? 0).toBe(0);
    // And no status is rewritten in a steady state.
    expect(thousand.by['PATCH qpilot.io/autopilots/status'] ?? 0).toBe(0);
  }, 900_000);
});
