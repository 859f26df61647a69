/**
 * One `qpilot serve` steers its home cluster and every cluster registered with its hub, each
 * with a controller of its own (ADR 17): `qpilot serve` as a user runs it, its home cluster
 * simulated, and a real agent in front of another simulated cluster.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  eventually,
  remoteSim,
  startTestAgent,
  type TestAgent,
} from '../api/testing/hubHarness.js';
import { ManualClock } from '../core/clock.js';
import { type ServeProcess, startServe } from './testing/serveProcess.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

const ARGS = ['--auto-scale-enabled', 'false', '--dry-run', 'false', '--policy', 'hpa'].concat([
  '--rate-limit',
  '1000000',
]);

async function serve(dataDir: string): Promise<ServeProcess> {
  const s = await startServe(ARGS, { QPILOT_DATA_DIR: dataDir });
  running.push(s);
  return s;
}

async function agentFor(s: ServeProcess, keys: { api_key: string; secret_key: string }) {
  // The remote cluster as it is after ten minutes: its pods Ready, with (idle) metrics.
  const clock = new ManualClock(Date.now() - 600_000);
  const sim = remoteSim(clock);
  clock.advance(600_000);
  sim.sync();
  const a: TestAgent = await startTestAgent({
    sim,
    url: `${s.url}/`,
    clusterId: 'east',
    apiKey: keys.api_key,
    secretKey: keys.secret_key,
  });
  running.push({ stop: () => a.kill() });
  await eventually(
    'the agent to connect',
    async () => (await s.get('/clusters/east/autoscale/status')).body.cluster_reachable === true,
  );
  return a;
}

describe('a fleet of clusters', () => {
  it('steers a registered cluster through its agent with its own settings and decisions, and keeps them across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'qpilot-fleet-'));
    const s = await serve(dataDir);
    const unknown = await s.get('/clusters/east/config');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/cluster "east" is not steered by this qpilot/);

    const made = await s.post('/clusters', { id: 'east' });
    expect(made.status).toBe(201);
    const keys = made.body as { api_key: string; secret_key: string };
    // Registered and not yet connected: steered, but its loop waits for the agent.
    const waiting = await s.get('/clusters/east/autoscale/status');
    expect(waiting.body).toMatchObject({ cluster_reachable: false });
    const agent = await agentFor(s, keys);
    const listed = (await s.get('/clusters')).body.clusters as { id: string; steering: unknown }[];
    expect(listed.find((c) => c.id === 'east')?.steering).toMatchObject({
      enabled: false,
      dry_run: false,
    });

    // The fleet's routes read the remote cluster, not the home one.
    const nodes = await s.get('/clusters/east/nodes');
    expect(nodes.status).toBe(200);
    const names = (nodes.body.Nodes as { NodeName: string }[]).map((n) => n.NodeName);
    expect(names.sort()).toEqual(['remote-1', 'remote-2']);
    expect(
      ((await s.get('/nodes')).body.Nodes as { NodeName: string }[]).map((n) => n.NodeName),
    ).not.toContain('remote-1');

    // Its settings are its own.
    const configured = await s.post('/clusters/east/config', { scaling_cooldown: 7 });
    expect(configured.status).toBe(200);
    expect((await s.get('/clusters/east/config')).body).toMatchObject({ scaling_cooldown: 7 });
    expect((await s.get('/config')).body.scaling_cooldown).not.toBe(7);

    // A cycle of its controller decides for its Deployment and acts through the agent: the
    // remote `web` has no load, so the HPA scales it in.
    const homeBefore = (await s.get('/decisions?limit=1000')).body.count as number;
    const cycle = await s.post('/clusters/east/scale/all?wait=true');
    expect(cycle.status).toBe(200);
    const results = cycle.body.results as { workload: string; outcome?: string }[];
    expect(results.find((r) => r.workload === 'web')).toMatchObject({ outcome: 'applied' });
    expect((await agent.sim.getWorkload('default', 'web')).spec?.replicas).toBe(1);
    const decisions = await s.get('/clusters/east/decisions');
    expect(decisions.body.count).toBeGreaterThan(0);
    expect((await s.get('/decisions?limit=1000')).body.count).toBe(homeBefore);
    const stats = await s.get('/clusters/east/statistics');
    expect(stats.body.statistics).toMatchObject({ overview: { applied_scalings: 1 } });

    // After a restart on the same store the cluster is steered again, with its history.
    await s.stop();
    running.splice(running.indexOf(s), 1);
    const again = await serve(dataDir);
    const kept = await again.get('/clusters/east/decisions');
    expect(kept.status).toBe(200);
    expect(kept.body.count).toBe(decisions.body.count);
    // Its agent still talks to the old address: steered, and waiting for it.
    expect((await again.get('/clusters/east/autoscale/status')).body).toMatchObject({
      cluster_reachable: false,
    });

    // Deleted, it is steered no more, and the home cluster's routes are untouched.
    const deleted = await fetch(`${again.url}/clusters/east`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect((await again.get('/clusters/east/autoscale/status')).status).toBe(404);
    expect((await again.get('/clusters')).body.clusters).toEqual([]);
    expect((await again.get('/config')).status).toBe(200);
  }, 120_000);
});
