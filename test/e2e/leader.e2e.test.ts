/**
 * High availability against the real control plane: two `qpilot serve` instances elect one
 * leader through a coordination.k8s.io Lease; only the leader acts (and says so with an Event
 * on the Deployment); when the leader is killed, the standby takes over and acts in its place,
 * and with a shared store it honours the cooldown its predecessor started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';
import { startPostgres, type TestPostgres } from '../../src/store/testing/postgres.js';
import {
  adminApis,
  createDeployment,
  createNamespace,
  deleteNamespace,
  e2eEnv,
  eventually,
  kubectlOk,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('leader');
const running: ServeProcess[] = [];
let pg: TestPostgres | undefined;

beforeAll(async () => {
  await createNamespace(namespace);
  await createDeployment({
    namespace,
    name: 'web',
    replicas: 1,
    cpuRequest: '100m',
    memoryRequest: '64Mi',
    annotations: { 'qpilot.io/policy': 'static:3' },
  });
});

afterAll(async () => {
  for (const s of running) await s.stop();
  pg?.stop();
  await deleteNamespace(namespace);
});

function instance(identity: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  return startServe(
    [
      '--kubeconfig',
      e2eEnv().kubeconfig,
      '--namespaces',
      namespace,
      '--leader-election',
      'true',
      '--lease-duration',
      '4',
      '--dry-run',
      'false',
      '--auto-scale-interval',
      '5',
    ],
    { POD_NAME: identity, POD_NAMESPACE: namespace, ...env },
  );
}

async function leaderOf(instances: ServeProcess[]) {
  const states = await Promise.all(
    instances.map(async (s) => (await s.get('/autoscale/status')).body),
  );
  const leaders = states.filter((b) => b.leader === true);
  return leaders.length === 1 ? instances[states.indexOf(leaders[0]!)] : undefined;
}

/** Kills the leader without releasing its Lease, and waits for the standby to take it. */
async function failOver(leader: ServeProcess, standby: ServeProcess): Promise<void> {
  leader.child.kill('SIGKILL');
  await eventually(
    'the standby to lead',
    async () => ((await standby.get('/autoscale/status')).body.leader === true ? true : undefined),
    30_000,
  );
}

const replicas = async (name = 'web') =>
  (await adminApis().apps.readNamespacedDeployment({ name, namespace })).spec?.replicas;

async function scaledEvents(): Promise<{ reportingInstance?: string; message?: string }[]> {
  const list = await adminApis().core.listNamespacedEvent({ namespace });
  return list.items.filter((e) => e.reason === 'QpilotScaled' && e.involvedObject.name === 'web');
}

describe('leader election', () => {
  it('lets one instance act, and the standby take over when it dies', async () => {
    const a = await instance('qpilot-a');
    const b = await instance('qpilot-b');
    running.push(a, b);
    const leader = await eventually('exactly one leader', () => leaderOf([a, b]), 30_000);
    const standby = leader === a ? b : a;
    const leaderName = leader === a ? 'qpilot-a' : 'qpilot-b';
    expect((await standby.get('/autoscale/status')).body).toMatchObject({
      leader: false,
      leader_identity: leaderName,
    });

    // The leader scales web to the 3 replicas its policy asks for, and records an Event.
    await eventually('web at 3 replicas', async () =>
      (await replicas()) === 3 ? true : undefined,
    );
    const events = await eventually('a QpilotScaled Event', async () => {
      const e = await scaledEvents();
      return e.length > 0 ? e : undefined;
    });
    expect(events[0]!.reportingInstance).toBe(leaderName);
    expect(events[0]!.message).toContain('scaled web from 1 to 3 replicas');
    // The standby never ran a cycle, and refuses changes asked of it directly.
    expect((await standby.get('/autoscale/status')).body.cycles).toBe(0);
    const refused = await standby.post(`/pod/scale/out?namespace=${namespace}&deployment=web`);
    expect(refused.status).toBe(503);
    expect(String(refused.body.error)).toContain('standby');

    // The leader dies without releasing the Lease.
    await failOver(leader, standby);
    // And it acts: a replica count changed behind its back is brought back to 3.
    kubectlOk(['-n', namespace, 'scale', 'deployment/web', '--replicas=1']);
    await eventually('web back at 3 replicas', async () =>
      (await replicas()) === 3 ? true : undefined,
    );
    const cycles = await eventually('a finished cycle of the new leader', async () => {
      const n = (await standby.get('/autoscale/status')).body.cycles as number;
      return n > 0 ? n : undefined;
    });
    expect(cycles).toBeGreaterThan(0);
  }, 120_000);

  it('honours, after a failover, the cooldown its predecessor started', async () => {
    for (const s of running.splice(0)) await s.stop();
    pg = await startPostgres();
    await createDeployment({
      namespace,
      name: 'cool',
      replicas: 4,
      cpuRequest: '100m',
      memoryRequest: '64Mi',
      annotations: { 'qpilot.io/policy': 'static:2', 'qpilot.io/cooldown-minutes': '1' },
    });
    // Two replicas of qpilot sharing one PostgreSQL, as a production Deployment would.
    const env = { DATABASE_URL: pg.url };
    const a = await instance('qpilot-c', env);
    const b = await instance('qpilot-d', env);
    running.push(a, b);
    const leader = await eventually('exactly one leader', () => leaderOf([a, b]), 30_000);
    const standby = leader === a ? b : a;
    // The leader scales cool down to 2: a change that starts cool's one-minute cooldown.
    await eventually('cool at 2 replicas', async () =>
      (await replicas('cool')) === 2 ? true : undefined,
    );
    // When the change was made, as the leader recorded it (seeing it takes a moment more, and
    // longer on a busy machine): the cooldown runs from there.
    const changedAt = await eventually('the change to 2 on record', async () => {
      const d = (await leader.get('/decisions?limit=50')).body.decisions as {
        workload: string;
        timestamp: string;
        replicas: { current: number; desired: number } | null;
      }[];
      const change = d.find((x) => x.workload === 'cool' && x.replicas?.desired === 2);
      return change ? Date.parse(change.timestamp) : undefined;
    });
    // Now it wants 1, but the cooldown holds it back.
    kubectlOk([
      '-n',
      namespace,
      'annotate',
      'deployment/cool',
      'qpilot.io/policy=static:1',
      '--overwrite',
    ]);
    const held = async (s: ServeProcess) => {
      const d = (await s.get('/decisions?limit=20')).body.decisions as {
        workload: string;
        outcome: string;
      }[];
      return d.some((x) => x.workload === 'cool' && x.outcome === 'cooldown') ? true : undefined;
    };
    await eventually('the leader to hold cool in its cooldown', () => held(leader), 30_000);
    await failOver(leader, standby);
    // The new leader knows the cooldown from the store: it holds cool too, and waits it out.
    await eventually('the new leader to hold cool', async () => {
      const d = (await standby.get('/decisions?limit=20')).body.decisions as {
        workload: string;
        outcome: string;
        policy: string;
      }[];
      return d.some((x) => x.workload === 'cool' && x.outcome === 'cooldown') ? true : undefined;
    });
    while (Date.now() - changedAt < 50_000) {
      expect(await replicas('cool')).toBe(2);
      await new Promise((r) => setTimeout(r, 2_000));
    }
    await eventually(
      'cool at 1 replica once the cooldown ends',
      async () => ((await replicas('cool')) === 1 ? true : undefined),
      60_000,
    );
    // Not before the minute since the recorded change (a second's grace: clocks of one host).
    expect(Date.now() - changedAt).toBeGreaterThanOrEqual(59_000);
  }, 240_000);
});
