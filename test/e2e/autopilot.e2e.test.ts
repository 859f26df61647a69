/**
 * Autopilots steering workloads on a real control plane, qpilot running as the ServiceAccount
 * deploy/rbac.yaml grants: creating one makes qpilot decide for its target and write the
 * status `kubectl get ap` shows; Recommend never changes the target; pausing or deleting it
 * stops the changes; the API server refuses a bad spec with the CEL rule's message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';
import {
  ROOT,
  adminApis,
  createDeployment,
  createNamespace,
  deleteNamespace,
  eventually,
  installAutopilotCrd,
  kubectl,
  kubectlOk,
  serviceAccountKubeconfig,
  sleep,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('ap');
let serve: ServeProcess;

interface ApJson {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    currentReplicas?: number;
    desiredReplicas?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    recommendation?: { replicas?: number };
    lastDecision?: { action: string; outcome: string; policy: string };
    recentActions?: { action: string; outcome: string }[];
  };
}

function applyAutopilot(name: string, spec: Record<string, unknown>, annotations = {}): string {
  const r = kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'qpilot.io/v1alpha1',
      kind: 'Autopilot',
      metadata: { name, namespace, annotations },
      spec,
    }),
  });
  return r.status === 0 ? '' : r.stderr;
}

function getAp(name: string): ApJson {
  return JSON.parse(kubectlOk(['get', 'ap', name, '-n', namespace, '-o', 'json'])) as ApJson;
}

const condition = (ap: ApJson, type: string) => ap.status?.conditions?.find((c) => c.type === type);

async function replicas(name: string): Promise<number | undefined> {
  return (await adminApis().apps.readNamespacedDeployment({ name, namespace })).spec?.replicas;
}

beforeAll(async () => {
  installAutopilotCrd();
  kubectlOk(['apply', '-f', `${ROOT}/deploy/rbac.yaml`]);
  await createNamespace(namespace);
  for (const name of ['web', 'api', 'batch'])
    await createDeployment({
      namespace,
      name,
      replicas: 1,
      cpuRequest: '100m',
      memoryRequest: '64Mi',
    });
  serve = await startServe([
    '--kubeconfig',
    serviceAccountKubeconfig('qpilot-system', 'qpilot'),
    '--autopilots-only',
    'true',
    '--dry-run',
    'false',
    '--auto-scale-enabled',
    'true',
    '--auto-scale-interval',
    '5',
  ]);
}, 240_000);

afterAll(async () => {
  await serve?.stop();
  await deleteNamespace(namespace);
});

describe('Autopilots on a real control plane', () => {
  it('decides for its target, changes it, and writes the status kubectl shows', async () => {
    expect(
      applyAutopilot('web', {
        targetRef: { kind: 'Deployment', name: 'web' },
        policy: 'static',
        constraints: { minReplicas: 3, maxReplicas: 5 },
      }),
    ).toBe('');
    await eventually(
      'web scaled to 3',
      async () => ((await replicas('web')) === 3 ? true : undefined),
      90_000,
      1000,
    );
    const ap = await eventually(
      'the status of web',
      () => {
        const got = getAp('web');
        return got.status?.lastDecision?.outcome === 'applied' ? got : undefined;
      },
      120_000,
      1000,
    );
    expect(ap.status).toMatchObject({
      observedGeneration: ap.metadata.generation,
      desiredReplicas: 3,
      recommendation: { replicas: 3 },
      lastDecision: { action: 'scale 1 → 3', policy: 'static-3', outcome: 'applied' },
      recentActions: [{ action: 'scale 1 → 3', outcome: 'applied' }],
    });
    expect(condition(ap, 'Ready')).toMatchObject({ status: 'True', reason: 'TargetFound' });
    expect(condition(ap, 'Active')).toMatchObject({ status: 'True', reason: 'Acting' });
    // kubectl get ap: the printer columns.
    const table = kubectlOk(['get', 'ap', 'web', '-n', namespace]);
    expect(table).toMatch(/NAME\s+TARGET\s+MODE\s+POLICY\s+CURRENT\s+DESIRED\s+LAST ACTION\s+AGE/);
    expect(table).toMatch(/web\s+web\s+Auto\s+static\s+\d+\s+3\s+scale 1 → 3/);
    // An Event on the Autopilot, as on its target.
    const events = kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'involvedObject.kind=Autopilot,involvedObject.name=web',
      '-o',
      'jsonpath={.items[*].reason}',
    ]);
    expect(events).toContain('QpilotScaled');
  });

  it('in Recommend mode recommends and never changes the target', async () => {
    expect(
      applyAutopilot('api', {
        targetRef: { kind: 'Deployment', name: 'api' },
        mode: 'Recommend',
        policy: 'static',
        constraints: { minReplicas: 4 },
      }),
    ).toBe('');
    const ap = await eventually(
      'the recommendation for api',
      () => {
        const got = getAp('api');
        return got.status?.recommendation?.replicas === 4 ? got : undefined;
      },
      90_000,
      1000,
    );
    expect(condition(ap, 'Active')).toMatchObject({ status: 'False', reason: 'Recommend' });
    expect(ap.status?.lastDecision).toMatchObject({ outcome: 'recommend' });
    await sleep(12_000); // two more cycles
    expect(await replicas('api')).toBe(1);
  });

  it('stops changing the target when paused, and when deleted', async () => {
    const spec = {
      targetRef: { kind: 'Deployment', name: 'batch' },
      policy: 'static',
      constraints: { minReplicas: 2 },
    };
    expect(applyAutopilot('batch', spec, { 'qpilot.io/paused': 'true' })).toBe('');
    await eventually(
      'batch reported paused',
      () => (condition(getAp('batch'), 'Active')?.reason === 'Paused' ? true : undefined),
      90_000,
      1000,
    );
    expect(await replicas('batch')).toBe(1);
    kubectlOk(['delete', 'ap', 'batch', '-n', namespace]);
    await sleep(12_000);
    expect(await replicas('batch')).toBe(1);
    // Unpaused, it acts: the pause was what held it.
    expect(applyAutopilot('batch', spec, { 'qpilot.io/paused': 'false' })).toBe('');
    await eventually(
      'batch scaled to 2',
      async () => ((await replicas('batch')) === 2 ? true : undefined),
      90_000,
      1000,
    );
  });

  it('reports a target that does not exist, with a Warning Event', async () => {
    expect(
      applyAutopilot('ghost', {
        targetRef: { kind: 'Deployment', name: 'nothing' },
        policy: 'hpa',
      }),
    ).toBe('');
    const ready = await eventually(
      'ghost reported',
      () => condition(getAp('ghost'), 'Ready'),
      90_000,
      1000,
    );
    expect(ready).toMatchObject({ status: 'False', reason: 'TargetNotFound' });
    const events = kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'involvedObject.kind=Autopilot,involvedObject.name=ghost,type=Warning',
      '-o',
      'jsonpath={.items[*].reason}',
    ]);
    expect(events).toContain('TargetNotFound');
  });

  it("has the API server refuse a static policy without its count, with the rule's message", () => {
    const refusal = applyAutopilot('bad', {
      targetRef: { kind: 'Deployment', name: 'web' },
      policy: 'static',
    });
    expect(refusal).toMatch(/policy static holds constraints.minReplicas replicas/);
  });
});
