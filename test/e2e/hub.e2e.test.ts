/**
 * One qpilot steering a real cluster through its agent (issue 13): `qpilot serve --cluster
 * agent` as the hub, `qpilot agent` as the ServiceAccount of deploy/rbac-agent.yaml, and
 * between them, on the WebSocket, a loopback relay that can replay, tamper with and forge what
 * the hub sends. Metrics arrive in the hub's store; a signed scale action is carried out and
 * seen by the API server; tampered, replayed and expired actions are refused and change
 * nothing; the control loop scales a Deployment of the remote cluster through AgentCluster.
 * Then the ClusterClient contract runs through AgentCluster against the same control plane.
 */
import { mkdtempSync } from 'node:fs';
import { type IncomingMessage, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startTestAgent, startTestHub } from '../../src/api/testing/hubHarness.js';
import { AgentCluster } from '../../src/cluster/agent/agentCluster.js';
import { KubeAutopilotCalls } from '../../src/cluster/kube/kubeAutopilots.js';
import { KubeConfig } from '@kubernetes/client-node';
import { runClusterClientContract } from '../../src/cluster/testing/contract.js';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';
import { sign } from '../../src/core/signing.js';
import {
  ROOT,
  adminApis,
  controlPlaneHarness,
  createDeployment,
  createNamespace,
  deleteNamespace,
  eventually,
  installAutopilotCrd,
  kubeCluster,
  kubectlOk,
  nodeNames,
  serviceAccountKubeconfig,
  sleep,
  uniqueName,
} from './lib/e2eEnv.js';

type Msg = Record<string, unknown> & { type?: string };

/** Relays an agent's WebSocket to the hub, keeping what passes, and can inject toward the agent. */
async function relay(hubWsUrl: string) {
  const fromHub: Msg[] = [];
  const fromAgent: Msg[] = [];
  const agents: WebSocket[] = [];
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (agent: WebSocket, req: IncomingMessage) => {
    agents.push(agent);
    const upstream = new WebSocket(hubWsUrl, {
      headers: {
        authorization: req.headers.authorization ?? '',
        'x-qpilot-cluster': String(req.headers['x-qpilot-cluster'] ?? ''),
        'x-qpilot-agent': String(req.headers['x-qpilot-agent'] ?? ''),
      },
    });
    const early: string[] = [];
    upstream.on('open', () => early.splice(0).forEach((m) => upstream.send(m)));
    upstream.on('message', (d: Buffer) => {
      fromHub.push(JSON.parse(d.toString()) as Msg);
      agent.send(d.toString());
    });
    agent.on('message', (d: Buffer) => {
      fromAgent.push(JSON.parse(d.toString()) as Msg);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(d.toString());
      else early.push(d.toString());
    });
    upstream.on('close', () => agent.close());
    agent.on('close', () => upstream.close());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    fromHub,
    fromAgent,
    inject: (m: unknown) => agents.at(-1)!.send(JSON.stringify(m)),
    close: async () => {
      for (const a of agents) a.terminate();
      wss.close();
      await new Promise((r) => server.close(r));
    },
  };
}

const watched = uniqueName('hub');
const other = uniqueName('hub-manual');
const fleet = uniqueName('hub-fleet');
let serve: ServeProcess;
let agent: ServeProcess;
let link: Awaited<ReturnType<typeof relay>>;
let secretKey: string;

const replicasOf = async (namespace: string, name: string) =>
  (await adminApis().apps.readNamespacedDeployment({ name, namespace })).spec?.replicas;

beforeAll(async () => {
  kubectlOk(['apply', '-f', `${ROOT}/deploy/rbac-agent.yaml`]);
  installAutopilotCrd();
  await createNamespace(watched);
  await createNamespace(other);
  await createNamespace(fleet);
  await createDeployment({
    namespace: fleet,
    name: 'queue',
    replicas: 1,
    cpuRequest: '100m',
    memoryRequest: '64Mi',
  });
  // An Autopilot of the remote cluster: read and given its status through the agent.
  kubectlOk(['apply', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'qpilot.io/v1alpha1',
      kind: 'Autopilot',
      metadata: { name: 'queue', namespace: fleet },
      spec: {
        targetRef: { kind: 'Deployment', name: 'queue' },
        policy: 'static',
        constraints: { minReplicas: 3, maxReplicas: 4 },
      },
    }),
  });
  await createDeployment({
    namespace: fleet,
    name: 'api',
    replicas: 2,
    cpuRequest: '200m',
    memoryRequest: '64Mi',
    usageCpu: '180m',
  });
  // 180m used of 200m requested: an HPA aiming at 50 % wants about twice the pods.
  await createDeployment({
    namespace: watched,
    name: 'web',
    replicas: 2,
    cpuRequest: '200m',
    memoryRequest: '64Mi',
    usageCpu: '180m',
  });
  await createDeployment({
    namespace: other,
    name: 'batch',
    replicas: 1,
    cpuRequest: '100m',
    memoryRequest: '64Mi',
  });
  serve = await startServe([
    '--cluster',
    'agent',
    '--agent-cluster',
    'e2e',
    '--namespaces',
    watched,
    '--dry-run',
    'false',
    '--auto-scale-interval',
    '5',
    '--policy',
    'hpa:50',
  ]);
  const made = await serve.post('/clusters', { id: 'e2e', name: 'the e2e control plane' });
  expect(made.status).toBe(201);
  secretKey = made.body.secret_key as string;
  const hubUrl = serve.url.replace('localhost', '127.0.0.1');
  link = await relay(`${hubUrl.replace('http', 'ws')}/ws`);
  agent = await startServe(
    [
      '--kubeconfig',
      serviceAccountKubeconfig('qpilot-system', 'qpilot-agent'),
      '--data-dir',
      mkdtempSync(join(tmpdir(), 'qpilot-agent-')),
    ],
    {
      BACKEND_URL: `${hubUrl}/`,
      BACKEND_WS_URL: link.url,
      API_KEY: made.body.api_key as string,
      SECRET_KEY: secretKey,
      CLUSTER_ID: 'e2e',
      AGENT_ID: 'agent-e2e',
      COLLECTION_INTERVAL: '2',
    },
    // As the chart runs it: the bundle, with its V8 flag.
    {
      command: 'agent',
      bundle: true,
      nodeFlags: ['--max-semi-space-size=1', '--optimize-for-size'],
    },
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await serve?.stop();
  await link?.close();
  await deleteNamespace(watched);
  await deleteNamespace(other);
  await deleteNamespace(fleet);
});

describe('qpilot serve as the hub of qpilot agent', () => {
  it('lists the cluster with its agent connected, its version and heartbeat', async () => {
    const cluster = await eventually(
      'the agent on its socket',
      async () => {
        const r = await serve.get('/clusters/e2e');
        const c = r.body.cluster as { agents: { channel: string; last_heartbeat_at: string }[] };
        return c.agents[0]?.channel === 'websocket' && c.agents[0].last_heartbeat_at
          ? c
          : undefined;
      },
      60_000,
    );
    expect(cluster).toMatchObject({
      id: 'e2e',
      reachable: true,
      agents: [{ agent_id: 'agent-e2e', health: 'ok', channel: 'websocket' }],
    });
    expect(((await agent.get('/readyz')).body as { channel: string }).channel).toBe('websocket');
  });

  it("stores the agent's batches of real usage and node capacity", async () => {
    const batch = await eventually(
      'usage of web in the store',
      async () => {
        const r = await serve.get('/clusters/e2e/batches?kind=pod_metrics&limit=5');
        const batches = r.body.batches as { items: { namespace: string }[] }[];
        return batches.find((b) => b.items.some((i) => i.namespace === watched));
      },
      120_000,
      1000,
    );
    expect(batch.items.length).toBeGreaterThan(0);
    const nodes = await serve.get('/clusters/e2e/batches?kind=nodes&limit=1');
    const items =
      (nodes.body.batches as { items: { node: string; cpuAllocatable: string }[] }[])[0]?.items ??
      [];
    expect(items.map((n) => n.node).sort()).toEqual(nodeNames().sort());
    expect(items.every((n) => n.cpuAllocatable)).toBe(true);
    const metrics = await (
      await fetch(`${serve.url.replace('localhost', '127.0.0.1')}/metrics`)
    ).text();
    expect(metrics).toMatch(/^qpilot_hub_agent_sockets 1$/m);
    expect(metrics).toMatch(/^qpilot_hub_items_total\{kind="pod_metrics"\} [1-9]/m);
  });

  it('carries out a signed scale action, and the API server sees it', async () => {
    const r = await serve.post('/clusters/e2e/actions', {
      type: 'scale',
      namespace: other,
      name: 'batch',
      replicas: 2,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      outcome: 'succeeded',
      result: { previousReplicas: 1, replicas: 2 },
    });
    expect(await replicasOf(other, 'batch')).toBe(2);
    // The Deployment controller's event for it comes through the agent's watch on events.
    const scaled = await eventually(
      'the event of the scale-up in the store',
      async () => {
        const r = await serve.get('/clusters/e2e/batches?kind=events&limit=50');
        const batches = r.body.batches as { items: Record<string, string>[] }[];
        return batches
          .flatMap((b) => b.items)
          .find(
            (e) =>
              e.namespace === other &&
              e.kind === 'Deployment' &&
              e.object === 'batch' &&
              /to 2/.test(e.message ?? ''),
          );
      },
      60_000,
      1000,
    );
    expect(scaled).toMatchObject({ type: 'Normal', reason: 'ScalingReplicaSet' });
  });

  it('refuses tampered, replayed and expired actions, and nothing changes', async () => {
    const sent = link.fromHub.find(
      (m) => m.type === 'action' && (m.action as { name?: string }).name === 'batch',
    ) as Msg & { action: Record<string, unknown>; signature: Record<string, unknown> };
    expect(sent).toBeDefined();
    const resultOf = (id: string) =>
      eventually(`the result of ${id}`, () =>
        link.fromAgent.find((m) => m.type === 'result' && m.actionId === id),
      );
    // Tampered: the same signature over a changed action.
    link.inject({ ...sent, id: 'tamper', action: { ...sent.action, replicas: 6 } });
    // Replayed: the very message the hub sent, again.
    link.inject({ ...sent, id: 'replay' });
    // Expired: signed with the right key, ten minutes ago.
    const old = { ...sent.action, id: 'expired-1', replicas: 7 };
    link.inject({
      v: 1,
      type: 'action',
      id: 'expired',
      action: old,
      signature: sign(secretKey, old, Date.now() - 10 * 60_000),
    });
    const results = await eventually('the two refusals', () => {
      const r = link.fromAgent.filter((m) => m.type === 'result' && m.actionId === sent.action.id);
      return r.length >= 3 ? r : undefined;
    });
    expect(results).toEqual([
      expect.objectContaining({ outcome: 'succeeded' }),
      expect.objectContaining({
        outcome: 'refused',
        message: expect.stringMatching(/^bad_signature/) as unknown,
      }),
      expect.objectContaining({
        outcome: 'refused',
        message: expect.stringMatching(/^replayed/) as unknown,
      }),
    ]);
    expect(await resultOf('expired-1')).toMatchObject({
      outcome: 'refused',
      message: expect.stringMatching(/^stale/) as unknown,
    });
    await sleep(1000);
    expect(await replicasOf(other, 'batch')).toBe(2);
    expect(agent.output()).toMatch(/signature check failed, bad_signature/);
    expect(serve.output()).toMatch(/an agent reported a result no call awaits/);
  });

  it('scales a Deployment of the remote cluster from its control loop, through AgentCluster', async () => {
    const replicas = await eventually(
      'the loop to scale web',
      async () => {
        const n = await replicasOf(watched, 'web');
        return n !== undefined && n > 2 ? n : undefined;
      },
      180_000,
      2000,
    );
    expect(replicas).toBeGreaterThan(2);
    // The change was recorded before it was made, and settled once its rollout was seen.
    const settled = await eventually(
      'the change settled in the decision log',
      async () => {
        const r = await serve.get('/decisions?limit=50');
        const list = r.body.decisions as { deployment?: string; outcome: string }[];
        return list.find((d) => d.outcome === 'applied');
      },
      120_000,
      2000,
    );
    expect(settled).toBeDefined();
  });

  it('steers a second registered cluster too, with its own settings, loop and decisions (the fleet)', async () => {
    const made = await serve.post('/clusters', { id: 'e2e-fleet' });
    expect(made.status).toBe(201);
    // Its settings start as the server's; before its agent connects, it is given its own.
    const configured = await serve.post('/clusters/e2e-fleet/config', { namespaces: [fleet] });
    expect(configured.status).toBe(200);
    expect((await serve.get('/config')).body.namespaces).toEqual([watched]);
    const asAgent = serviceAccountKubeconfig('qpilot-system', 'qpilot-agent');
    const kc = new KubeConfig();
    kc.loadFromFile(asAgent);
    const second = await startTestAgent({
      url: `${serve.url.replace('localhost', '127.0.0.1')}/`,
      clusterId: 'e2e-fleet',
      apiKey: made.body.api_key as string,
      secretKey: made.body.secret_key as string,
      agentId: 'agent-fleet',
      cluster: kubeCluster(asAgent),
      // As qpilot agent reads them: listed and given their status through the agent's rights.
      autopilots: new KubeAutopilotCalls(kc, { requestTimeoutMs: 10_000 }),
    });
    try {
      const replicas = await eventually(
        "the fleet's loop to scale api",
        async () => {
          const n = await replicasOf(fleet, 'api');
          return n !== undefined && n > 2 ? n : undefined;
        },
        180_000,
        2000,
      );
      expect(replicas).toBeGreaterThan(2);
      const applied = await eventually(
        "the change in that cluster's decisions",
        async () => {
          const r = await serve.get('/clusters/e2e-fleet/decisions?limit=50');
          const list = r.body.decisions as { workload: string; outcome: string }[];
          return list.find((d) => d.workload === 'api' && d.outcome === 'applied');
        },
        120_000,
        2000,
      );
      expect(applied).toBeDefined();
      // Not in the home cluster's.
      const home = (await serve.get('/decisions?limit=1000')).body.decisions as {
        workload: string;
      }[];
      expect(home.length).toBeGreaterThan(0);
      expect(home.filter((d) => d.workload === 'api')).toEqual([]);
      // Its Autopilot was read through the agent, steered its target, and got its status.
      await eventually(
        'queue scaled to 3 by its Autopilot',
        async () => ((await replicasOf(fleet, 'queue')) === 3 ? true : undefined),
        120_000,
        2000,
      );
      const ap = await eventually(
        "the Autopilot's status, written through the agent",
        () => {
          const got = JSON.parse(
            kubectlOk(['get', 'autopilot', 'queue', '-n', fleet, '-o', 'json']),
          ) as { status?: { conditions?: { type: string; status: string }[] } };
          return got.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
            ? got
            : undefined;
        },
        120_000,
        2000,
      );
      expect(ap.status).toBeDefined();
      expect((await serve.get('/clusters/e2e-fleet/autoscale/status')).body).toMatchObject({
        cluster_reachable: true,
        enabled: true,
      });
    } finally {
      await second.kill();
    }
  });
});

runClusterClientContract('AgentCluster (a real control plane behind qpilot agent)', async () => {
  const hub = await startTestHub();
  const made = await hub.hub.createCluster('contract', 'contract');
  const a = await startTestAgent({
    url: hub.url,
    clusterId: 'contract',
    apiKey: made.apiKey,
    secretKey: made.secretKey,
    cluster: kubeCluster(serviceAccountKubeconfig('qpilot-system', 'qpilot-agent')),
  });
  await eventually('the socket', () =>
    hub.switchboard.state('contract').sockets.length > 0 ? true : undefined,
  );
  return controlPlaneHarness(
    'agent-contract',
    new AgentCluster(hub.switchboard, 'contract'),
    async () => {
      await a.kill();
      await hub.close();
    },
  );
});
