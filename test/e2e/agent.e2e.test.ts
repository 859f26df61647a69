/**
 * `qpilot agent` (seed 003) against a real control plane, as the ServiceAccount of
 * deploy/rbac-agent.yaml, talking to a stand-in hub on loopback (qpilot's own hub is not built
 * yet): it registers, sends batches of real metrics.k8s.io usage and node capacity over its
 * WebSocket, carries out a signed scale action and refuses a forged one, is ready only once
 * registered, and deregisters at SIGTERM.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, type FakeHub, fakeHub } from '../../src/agent/testing/fakeHub.js';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';
import { sign } from '../../src/core/signing.js';
import {
  ROOT,
  adminApis,
  createDeployment,
  createNamespace,
  deleteNamespace,
  eventually,
  kubectlOk,
  serviceAccountKubeconfig,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('agent');
const SECRET = 's'.repeat(32);
let hub: FakeHub;
let agent: ServeProcess;

beforeAll(async () => {
  kubectlOk(['apply', '-f', `${ROOT}/deploy/rbac-agent.yaml`]);
  await createNamespace(namespace);
  await createDeployment({
    namespace,
    name: 'web',
    replicas: 1,
    cpuRequest: '100m',
    memoryRequest: '64Mi',
  });
  hub = await fakeHub({ socket: true });
  agent = await startServe(
    [
      '--kubeconfig',
      serviceAccountKubeconfig('qpilot-system', 'qpilot-agent'),
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'qpilot-agent-')),
    ],
    {
      BACKEND_URL: `http://${hub.url}/`,
      BACKEND_WS_URL: `ws://${hub.url}/agents/ws`,
      API_KEY,
      SECRET_KEY: SECRET,
      CLUSTER_ID: 'e2e',
      AGENT_ID: 'agent-e2e',
      COLLECTION_INTERVAL: '2',
    },
    { command: 'agent' },
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await hub?.close();
  await deleteNamespace(namespace);
});

describe('qpilot agent', () => {
  it('registers, and is ready once registered and connected', async () => {
    await eventually('the socket', () => (hub.sockets.length > 0 ? true : undefined), 60_000);
    expect(hub.received[0]).toMatchObject({
      type: 'register',
      clusterId: 'e2e',
      agentId: 'agent-e2e',
    });
    const ready = await eventually('ready', async () => {
      const r = await agent.get('/readyz');
      return r.status === 200 ? r.body : undefined;
    });
    expect(ready).toMatchObject({ registered: true, channel: 'websocket' });
    expect(agent.output()).toMatch(/Agent registered successfully/);
  });

  it('sends real usage and node capacity in acknowledged batches', async () => {
    const pods = await eventually(
      'pod usage of web',
      () =>
        hub.received.find(
          (m) =>
            m.type === 'ingest' &&
            m.kind === 'pod_metrics' &&
            (m.items as { namespace: string }[]).some((i) => i.namespace === namespace),
        ),
      120_000,
      1000,
    );
    expect(pods).toMatchObject({ agentId: 'agent-e2e' });
    const nodes = hub.received.find((m) => m.type === 'ingest' && m.kind === 'nodes');
    expect((nodes?.items as { cpuAllocatable: string }[])[0]?.cpuAllocatable).toBeTruthy();
    expect(agent.output()).toMatch(/Collected metrics for \d+ pods/);
  });

  it('carries out a signed action and refuses a forged one', async () => {
    const action = { id: 'scale-1', type: 'scale', namespace, name: 'web', replicas: 2 };
    hub.sockets.at(-1)!.send(
      JSON.stringify({
        v: 1,
        type: 'action',
        id: 'h-1',
        action,
        signature: sign(SECRET, action, Date.now()),
      }),
    );
    const result = await eventually('the result', () =>
      hub.received.find((m) => m.type === 'result' && m.actionId === 'scale-1'),
    );
    expect(result).toMatchObject({ outcome: 'succeeded' });
    expect(
      (await adminApis().apps.readNamespacedDeployment({ name: 'web', namespace })).spec?.replicas,
    ).toBe(2);
    const forged = { ...action, id: 'scale-2', replicas: 5 };
    hub.sockets.at(-1)!.send(
      JSON.stringify({
        v: 1,
        type: 'action',
        id: 'h-2',
        action: forged,
        signature: sign('x'.repeat(32), forged, Date.now()),
      }),
    );
    const refused = await eventually('the refusal', () =>
      hub.received.find((m) => m.type === 'result' && m.actionId === 'scale-2'),
    );
    expect(refused).toMatchObject({ outcome: 'refused' });
    expect(
      (await adminApis().apps.readNamespacedDeployment({ name: 'web', namespace })).spec?.replicas,
    ).toBe(2);
    expect(agent.output()).toMatch(/signature check failed, bad_signature/);
  });

  it('deregisters at SIGTERM', async () => {
    await agent.stop();
    expect(hub.received.some((m) => m.type === 'deregister' && m.agentId === 'agent-e2e')).toBe(
      true,
    );
  });
});
