/**
 * The hub inside `qpilot serve` with real agents on loopback: registration, the WebSocket and
 * its fallback to polling, batches counted once, signed actions and queries (AgentCluster), and
 * the operators' routes. Only the cluster behind each agent is simulated.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentCluster } from '../../cluster/agent/agentCluster.js';
import { isQpError } from '../../core/errors.js';
import {
  eventually,
  startTestAgent,
  startTestHub,
  type TestAgent,
  type TestHub,
} from '../testing/hubHarness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function hubWithCluster(id = 'prod', options: Parameters<typeof startTestHub>[0] = {}) {
  const h = await startTestHub(options);
  cleanups.push(() => h.close());
  const token = options.config?.apiToken;
  const res = await h.t.app.inject({
    method: 'POST',
    url: '/clusters',
    payload: { id, name: 'Production' },
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  expect(res.statusCode).toBe(201);
  const body = res.json<{ api_key: string; secret_key: string }>();
  return { h, apiKey: body.api_key, secretKey: body.secret_key };
}

async function agentOf(
  h: TestHub,
  keys: { apiKey: string; secretKey: string },
  extra: Partial<Parameters<typeof startTestAgent>[0]> = {},
): Promise<TestAgent> {
  const a = await startTestAgent({ url: h.url, clusterId: 'prod', ...keys, ...extra });
  cleanups.push(() => a.kill());
  return a;
}

const clusterView = async (h: TestHub) =>
  (await h.t.app.inject({ method: 'GET', url: '/clusters/prod' })).json<{
    cluster: {
      reachable: boolean;
      agents: { agent_id: string; channel: string; version: string; health: string }[];
      ingest: { kind: string; batches: number; items: number }[];
    };
  }>().cluster;

describe('the hub', () => {
  it('registers a cluster once, keeps only a digest of its API key, and refuses wrong keys', async () => {
    const { h, apiKey, secretKey } = await hubWithCluster();
    expect(apiKey).toMatch(/^[0-9a-f]{64}$/);
    expect(secretKey).toMatch(/^[0-9a-f]{64}$/);
    const again = await h.t.app.inject({
      method: 'POST',
      url: '/clusters',
      payload: { id: 'prod' },
    });
    expect(again.statusCode).toBe(409);
    const stored = await h.store.hub.getCluster('prod');
    expect(stored?.apiKeyHash).not.toContain(apiKey);
    expect(JSON.stringify(await h.store.sql.all('SELECT * FROM hub_clusters'))).not.toContain(
      apiKey,
    );
    const bad = await fetch(`${h.url}agents/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'0'.repeat(64)}`, 'x-qpilot-cluster': 'prod' },
      body: '{}',
    });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ success: false });
    const badBody = await fetch(`${h.url}agents/heartbeat`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'x-qpilot-cluster': 'prod',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ v: 1, type: 'heartbeat', id: 'x', agentId: 'a b' }),
    });
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { error: string }).error).toMatch(/^heartbeat: /);
  });

  it('takes an agent over its WebSocket and lists it with its channel and version', async () => {
    const { h, ...keys } = await hubWithCluster();
    await agentOf(h, keys);
    const view = await eventually('the agent on its socket', async () => {
      const c = await clusterView(h);
      return c.agents[0]?.channel === 'websocket' ? c : undefined;
    });
    expect(view.reachable).toBe(true);
    expect(view.agents[0]).toMatchObject({ agent_id: 'agent-1', version: '0.0.0-test' });
    const list = (await h.t.app.inject({ method: 'GET', url: '/clusters' })).json<{
      clusters: { id: string }[];
    }>();
    expect(list.clusters.map((c) => c.id)).toEqual(['prod']);
  });

  it('stores each batch once and acknowledges it, whatever the channel', async () => {
    const { h, ...keys } = await hubWithCluster();
    const a = await agentOf(h, keys);
    for (let i = 0; i < 5; i++)
      await a.outbox.add([{ pod: `web-${i}`, cpuMillicores: i }], {
        kind: 'pod_metrics',
        collectedAtMs: 1000 + i,
      });
    await eventually('the outbox emptied', () => a.outbox.size === 0);
    expect(await clusterView(h)).toMatchObject({
      ingest: [{ kind: 'pod_metrics', batches: 5, items: 5 }],
    });
    const batches = (
      await h.t.app.inject({
        method: 'GET',
        url: '/clusters/prod/batches?kind=pod_metrics&limit=2',
      })
    ).json<{ batches: { items: unknown[] }[] }>();
    expect(batches.batches).toHaveLength(2);
    expect(batches.batches[0]?.items).toEqual([{ pod: 'web-4', cpuMillicores: 4 }]);
    const badKind = await h.t.app.inject({
      method: 'GET',
      url: '/clusters/prod/batches?kind=logs',
    });
    expect(badKind.statusCode).toBe(400);
    expect(badKind.json<{ error: string }>().error).toMatch(/"kind".*one of pod_metrics/);
    expect((await h.t.app.inject({ method: 'GET', url: '/clusters/nope' })).statusCode).toBe(404);
  });

  it('steers the remote cluster through AgentCluster: reads, a signed change, its errors', async () => {
    const { h, ...keys } = await hubWithCluster();
    const a = await agentOf(h, keys);
    await eventually('the socket', () => h.switchboard.state('prod').sockets.length > 0);
    const remote = new AgentCluster(h.switchboard, 'prod');
    expect((await remote.getWorkload('default', 'web')).spec?.replicas).toBe(2);
    expect((await remote.listNodes()).items.map((n) => n.metadata?.name)).toEqual([
      'remote-1',
      'remote-2',
    ]);
    expect(await remote.scaleWorkload('default', 'web', 4)).toMatchObject({
      previousReplicas: 2,
      replicas: 4,
    });
    expect((await a.sim.getWorkload('default', 'web')).spec?.replicas).toBe(4);
    const missing = await remote.getWorkload('default', 'nope').catch((e: unknown) => e);
    expect(isQpError(missing, 'QP_ERR_NOT_FOUND')).toBe(true);
  });

  it("sends an operator's action signed, and answers with the agent's result", async () => {
    const { h, ...keys } = await hubWithCluster();
    const a = await agentOf(h, keys);
    await eventually('the socket', () => h.switchboard.state('prod').sockets.length > 0);
    const res = await h.t.app.inject({
      method: 'POST',
      url: '/clusters/prod/actions',
      payload: { type: 'cordon', node: 'remote-1' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ success: true, outcome: 'succeeded' });
    expect((await a.sim.getNode('remote-1')).spec?.unschedulable).toBe(true);
    const bad = await h.t.app.inject({
      method: 'POST',
      url: '/clusters/prod/actions',
      payload: { type: 'scale', namespace: 'default', name: 'web', replicas: -1 },
    });
    expect(bad.statusCode).toBe(400);
    const unknown = await h.t.app.inject({
      method: 'POST',
      url: '/clusters/nope/actions',
      payload: { type: 'cordon', node: 'remote-1' },
    });
    expect(unknown.statusCode).toBe(404);
    const failed = await h.t.app.inject({
      method: 'POST',
      url: '/clusters/prod/actions',
      payload: { type: 'cordon', node: 'no-such-node' },
    });
    expect(failed.statusCode).toBe(404);
    expect(failed.json<{ error: string }>().error).toContain('no-such-node');
    // The action carried out is on record with its outcome; the invalid one and the one the
    // cluster rejected (4xx: nothing changed) left the store as it was.
    const listed = await h.t.app.inject({ method: 'GET', url: '/clusters/prod/actions' });
    expect(listed.statusCode).toBe(200);
    const actions = listed.json<{ actions: Record<string, unknown>[] }>().actions;
    expect(actions).toMatchObject([
      { type: 'cordon', action: { node: 'remote-1' }, outcome: 'succeeded' },
    ]);
    expect(actions).toHaveLength(1);
    expect(actions[0]!.settled_at).toEqual(expect.any(String));
    expect(actions[0]!.id).toBe(res.json<{ action: { id: string } }>().action.id);
  });

  it('answers 503 when no agent is connected, having sent nothing', async () => {
    const { h } = await hubWithCluster();
    const res = await h.t.app.inject({
      method: 'POST',
      url: '/clusters/prod/actions',
      payload: { type: 'cordon', node: 'remote-1' },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json<{ error: string }>().error).toMatch(/no agent .* nothing was sent/);
    // Nothing changed, in the store either: retrying is safe.
    const listed = await h.t.app.inject({ method: 'GET', url: '/clusters/prod/actions' });
    expect(listed.json<{ actions: unknown[] }>().actions).toEqual([]);
  });

  it('reaches an agent that can only poll, and takes its results over HTTP', async () => {
    const { h, ...keys } = await hubWithCluster();
    const a = await agentOf(h, keys, { wsUrl: 'ws://127.0.0.1:1/ws', pollIntervalSec: 1 });
    await eventually('the agent polling', () =>
      Object.keys(h.switchboard.state('prod').polling).length > 0 ? true : undefined,
    );
    const remote = new AgentCluster(h.switchboard, 'prod');
    expect(await remote.scaleWorkload('default', 'web', 3)).toMatchObject({ replicas: 3 });
    expect((await a.sim.getWorkload('default', 'web')).spec?.replicas).toBe(3);
    expect((await clusterView(h)).agents[0]?.channel).toBe('polling');
  });

  it('leaves the agents to the leader: a standby refuses them, and one that stops leading hangs up', async () => {
    let leader = false;
    const { h, ...keys } = await hubWithCluster('prod', {
      leadership: { isLeader: () => leader, holder: () => 'qpilot-a' },
    });
    const refused = await fetch(`${h.url}agents/register`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.apiKey}`,
        'x-qpilot-cluster': 'prod',
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: string }).error).toMatch(
      /standby; agents connect to the leader \(qpilot-a\)/,
    );
    await agentOf(h, keys, { firstBackoffMs: 50 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await clusterView(h)).reachable).toBe(false);
    leader = true;
    await eventually('the agent on the leader', async () => (await clusterView(h)).reachable);
    // It stops leading: the agent is hung up on and cannot come back here.
    leader = false;
    expect(h.switchboard.hangUpAll()).toBe(1);
    expect(h.switchboard.reachable('prod')).toBe(false);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.switchboard.state('prod').sockets).toEqual([]);
    leader = true;
    await eventually('the agent back', () => h.switchboard.state('prod').sockets.length === 1);
  });

  it('documents each fleet route with its cluster, and answers 404 for a cluster it does not steer', async () => {
    const { h } = await hubWithCluster();
    const doc = (await h.t.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    }>();
    const config = doc.paths['/clusters/{cluster}/config']?.post;
    expect(config?.parameters?.map((p) => `${p.in}:${p.name}`)).toContain('path:cluster');
    const pod = doc.paths['/clusters/{cluster}/pods/{namespace}/{pod}']?.get;
    expect(pod?.parameters?.map((p) => p.name).sort()).toEqual(['cluster', 'namespace', 'pod']);
    // simApp has no fleet: every cluster is unknown to it.
    const res = await h.t.app.inject({ method: 'GET', url: '/clusters/prod/decisions' });
    expect(res.statusCode).toBe(404);
    expect(res.json<{ error: string }>().error).toMatch(/not steered by this qpilot/);
    const bad = await h.t.app.inject({ method: 'GET', url: '/clusters/-bad/decisions' });
    expect(bad.statusCode).toBe(400);
  });

  it('deletes a cluster with the API token: its agent is hung up on and refused, its records gone', async () => {
    const token = 'api-token-0123456789abcdef';
    const { h, ...keys } = await hubWithCluster('prod', { config: { apiToken: token } });
    const a = await agentOf(h, keys, { firstBackoffMs: 50 });
    await eventually('the socket', () => h.switchboard.state('prod').sockets.length > 0);
    await a.outbox.add([{ pod: 'web-0', cpuMillicores: 1 }], {
      kind: 'pod_metrics',
      collectedAtMs: 1000,
    });
    await eventually('a batch', async () => (await h.store.hub.ingestTotals('prod')).length > 0);
    const anonymous = await h.t.app.inject({ method: 'DELETE', url: '/clusters/prod' });
    expect(anonymous.statusCode).toBe(401);
    expect((await clusterView(h)).reachable).toBe(true);
    const auth = { authorization: `Bearer ${token}` };
    const res = await h.t.app.inject({ method: 'DELETE', url: '/clusters/prod', headers: auth });
    expect(res.statusCode).toBe(200);
    expect(h.switchboard.state('prod').sockets).toEqual([]);
    // It comes back, and is refused: the cluster's key is gone.
    await new Promise((r) => setTimeout(r, 500));
    expect(h.switchboard.reachable('prod')).toBe(false);
    expect(a.logs.join('\n')).toMatch(/401/);
    expect(await h.store.hub.getCluster('prod')).toBeUndefined();
    expect(await h.store.hub.listAgents('prod')).toEqual([]);
    expect(await h.store.hub.ingestTotals('prod')).toEqual([]);
    const again = await h.t.app.inject({ method: 'DELETE', url: '/clusters/prod', headers: auth });
    expect(again.statusCode).toBe(404);
    expect(
      (await h.t.app.inject({ method: 'GET', url: '/clusters/prod', headers: auth })).statusCode,
    ).toBe(404);
  });

  it('marks an agent deregistered when it stops', async () => {
    const { h, ...keys } = await hubWithCluster();
    const a = await agentOf(h, keys);
    await eventually('the socket', () => h.switchboard.state('prod').sockets.length > 0);
    await a.stop();
    const view = await clusterView(h);
    expect(view.agents[0]).toMatchObject({ health: 'deregistered' });
  });
});
