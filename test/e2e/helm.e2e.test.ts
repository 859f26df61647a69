/**
 * The Helm chart against a real control plane, with helm built from its Go module
 * (test/e2e/buildHelm.sh): it lints, refuses values its schema forbids, renders exactly the
 * committed plain manifests, and everything it renders passes the API server's dry run. Then
 * qpilot runs the way the chart runs it: the rendered objects applied, the rendered
 * Deployment's environment, and in-cluster configuration from the chart's ServiceAccount token
 * (mounted where a pod has it, in a mount namespace of its own), and steers an Autopilot.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeProcess, startServe } from '../../src/cli/testing/serveProcess.js';
import {
  ROOT,
  adminApis,
  adminConfig,
  createDeployment,
  createNamespace,
  deleteNamespace,
  eventually,
  installAutopilotCrd,
  kubectl,
  kubectlOk,
  uniqueName,
} from './lib/e2eEnv.js';

const CHART = join(ROOT, 'deploy', 'helm', 'qpilot');
const MANIFESTS = join(ROOT, 'deploy', 'manifests', 'qpilot.yaml');
const AGENT_MANIFESTS = join(ROOT, 'deploy', 'manifests', 'qpilot-agent.yaml');
const namespace = uniqueName('chart');
let serve: ServeProcess | undefined;
let hub: ServeProcess | undefined;
let agent: ServeProcess | undefined;

function helm(args: string[]) {
  const bin = process.env.QPILOT_HELM;
  if (!bin) throw new Error('QPILOT_HELM is not set: run the suite with npm run test:e2e');
  return spawnSync(bin, args, { encoding: 'utf8', cwd: ROOT });
}

function template(extra: string[] = []): string {
  const r = helm([
    'template',
    'qpilot',
    CHART,
    '--namespace',
    'qpilot-system',
    '--kube-version',
    '1.35.0',
    '--include-crds',
    ...extra,
  ]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * kubectl's complaints, its warnings aside: a server-side apply over objects another suite
 * applied client-side warns that it cannot migrate their last-applied annotation.
 */
function errorsOf(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning: '));
}

interface Obj {
  kind: string;
  metadata: { name: string };
  spec?: {
    template?: {
      spec?: {
        containers?: {
          command?: string[];
          args?: string[];
          env?: { name: string; value?: string; valueFrom?: unknown }[];
        }[];
      };
    };
  };
}

/**
 * The chart's Deployment run here, as its pod would run it (kwok runs no image): every other
 * object applied, and what the pod of `serviceAccount` in qpilot-system would have: its token
 * and CA where client-node's in-cluster configuration reads them (a mount namespace of the
 * process's own, through `prefix`), the API server's address and the container's literal env.
 */
function asItsPod(objects: Obj[], serviceAccount: string) {
  const dep = objects.find((o) => o.kind === 'Deployment')!;
  const dir = mkdtempSync(join(tmpdir(), 'qpilot-chart-'));
  writeFileSync(
    join(dir, 'objects.json'),
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: objects.filter((o) => o.kind !== 'Deployment'),
    }),
  );
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(dir, 'objects.json')]);
  const sa = join(dir, 'serviceaccount');
  const cluster = adminConfig().getCurrentCluster()!;
  spawnSync('mkdir', ['-p', sa]);
  writeFileSync(
    join(sa, 'token'),
    kubectlOk(['create', 'token', serviceAccount, '-n', 'qpilot-system']).trim(),
  );
  writeFileSync(join(sa, 'ca.crt'), readFileSync(cluster.caFile!));
  writeFileSync(join(sa, 'namespace'), 'qpilot-system');
  const server = new URL(cluster.server);
  const container = dep.spec!.template!.spec!.containers![0]!;
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: server.hostname,
    KUBERNETES_SERVICE_PORT: server.port,
  };
  for (const e of container.env!) if (e.value !== undefined) env[e.name] = e.value;
  return {
    container,
    env,
    prefix: [
      'unshare',
      '-m',
      'sh',
      '-c',
      'set -e; mount --make-rprivate /; mount -t tmpfs tmpfs /run; d=/run/secrets/kubernetes.io/serviceaccount; mkdir -p $d; cp "$0"/* $d/; exec "$@"',
      sa,
    ],
  };
}

beforeAll(async () => {
  installAutopilotCrd();
  await createNamespace(namespace);
  // A server-side dry run cannot create the namespace its objects go to.
  kubectl(['create', 'namespace', 'qpilot-system']);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await hub?.stop();
  await serve?.stop();
  await deleteNamespace(namespace);
});

describe('the Helm chart', () => {
  it('lints, and its schema refuses a bad value by name', () => {
    const ok = helm(['lint', CHART, '--strict']);
    expect(ok.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    const bad = helm(['lint', CHART, '--set', 'replicaCount=0', '--set', 'dryRun=maybe']);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/replicaCount/);
    expect(bad.stdout + bad.stderr).toMatch(/dryRun/);
  });

  it('renders exactly the committed plain manifests, the server’s and the agent’s', () => {
    for (const [flag, file] of [
      ['--stdout', MANIFESTS],
      ['--stdout-agent', AGENT_MANIFESTS],
    ] as const) {
      const r = spawnSync('bash', ['scripts/renderManifests.sh', flag], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      // On a difference: bash scripts/renderManifests.sh, and commit the files.
      expect(r.stdout).toBe(readFileSync(file, 'utf8'));
    }
  });

  it('refuses an agent without its cluster and backend, and dry-runs the agent’s manifests', () => {
    const bad = helm([
      'template',
      'x',
      CHART,
      '--kube-version',
      '1.35.0',
      '--set',
      'agent.enabled=true',
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/agent\/clusterId/);
    const dry = kubectl(['apply', '--server-side', '--dry-run=server', '-f', AGENT_MANIFESTS]);
    expect(errorsOf(dry.stderr)).toEqual([]);
    expect(dry.stdout).toMatch(
      /deployment.apps\/qpilot-agent serverside-applied \(server dry run\)/,
    );
  });

  it("narrows the agent's ClusterRole to the actions it takes", () => {
    const agentWith = (actions: string) =>
      loadAllYaml(
        template([
          '--set',
          'server.enabled=false',
          '--set',
          'agent.enabled=true',
          '--set',
          'agent.clusterId=c1',
          '--set',
          'agent.backend.url=https://hub.example.com',
          '--set',
          'agent.backend.wsUrl=wss://hub.example.com/ws',
          '--set',
          `agent.actions={${actions}}`,
        ]),
      ) as (Obj & { rules?: { resources: string[]; verbs: string[] }[] })[];
    const grants = (objs: ReturnType<typeof agentWith>) =>
      objs
        .find((o) => o.kind === 'ClusterRole')!
        .rules!.filter((r) => r.verbs.some((v) => !['get', 'list', 'watch'].includes(v)))
        .map((r) => `${r.resources.join('+')}:${r.verbs.filter((v) => v !== 'get').join('+')}`);
    expect(grants(agentWith('scale'))).toEqual(['deployments/scale:patch']);
    expect(grants(agentWith('cordon,uncordon'))).toEqual(['nodes:patch']);
    expect(grants(agentWith('delete_pod'))).toEqual(['pods:delete']);
    const env = JSON.stringify(agentWith('scale,evict'));
    expect(env).toContain('"name":"AGENT_ACTIONS","value":"scale,evict"');
    const refused = helm([
      'template',
      'x',
      CHART,
      '--kube-version',
      '1.35.0',
      '--set',
      'agent.actions={reboot}',
    ]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/agent\.actions|actions\/0/);
  });

  it('passes the API server’s dry run, with every option on', () => {
    const plain = kubectl(['apply', '--server-side', '--dry-run=server', '-f', MANIFESTS]);
    expect(errorsOf(plain.stderr)).toEqual([]);
    expect(plain.stdout).toMatch(/deployment.apps\/qpilot serverside-applied \(server dry run\)/);
    const all = loadAllYaml(
      template([
        '--set',
        'networkPolicy.enabled=true',
        '--set',
        'serviceMonitor.enabled=true',
        '--set',
        'apiToken.existingSecret=qpilot-api',
        '--set',
        'databaseUrl.existingSecret=qpilot-db',
        '--set',
        'persistence.existingClaim=qpilot-data',
        '--set',
        'prometheusUrl=http://prometheus.monitoring:9090',
      ]),
    ) as Obj[];
    // No Prometheus Operator here: its ServiceMonitor is checked for shape, not by a server.
    const monitor = all.find((o) => o.kind === 'ServiceMonitor');
    expect(monitor).toMatchObject({ spec: { endpoints: [{ port: 'http', path: '/metrics' }] } });
    const rest = all.filter((o) => o.kind !== 'ServiceMonitor');
    expect(rest.map((o) => o.kind)).toContain('NetworkPolicy');
    const file = join(mkdtempSync(join(tmpdir(), 'qpilot-chart-')), 'all.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: rest }));
    const dry = kubectl(['apply', '--server-side', '--dry-run=server', '-f', file]);
    expect(errorsOf(dry.stderr)).toEqual([]);
  });

  it('runs qpilot as the chart does, in-cluster as its ServiceAccount, and steers an Autopilot', async () => {
    const pod = asItsPod(loadAllYaml(readFileSync(MANIFESTS, 'utf8')) as Obj[], 'qpilot');
    const env = pod.env;
    env.POD_NAMESPACE = 'qpilot-system';
    env.POD_NAME = 'qpilot-e2e-0';
    env.AUTO_SCALE_INTERVAL = '5';
    delete env.PORT;
    delete env.QPILOT_DATA_DIR; // a temporary directory instead of the pod's volume
    expect(env).toMatchObject({ KUBERNETES_IN_CLUSTER: 'true', QPILOT_AUTOPILOTS_ONLY: 'true' });
    await createDeployment({
      namespace,
      name: 'web',
      replicas: 1,
      cpuRequest: '100m',
      memoryRequest: '64Mi',
    });
    serve = await startServe(['--host', '127.0.0.1'], env, { prefix: pod.prefix });
    expect(serve.output()).toMatch(/in-cluster service account/);
    kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'qpilot.io/v1alpha1',
        kind: 'Autopilot',
        metadata: { name: 'web', namespace },
        spec: {
          targetRef: { kind: 'Deployment', name: 'web' },
          policy: 'static',
          constraints: { minReplicas: 2 },
        },
      }),
    });
    await eventually(
      'web scaled by the chart-run qpilot',
      async () =>
        (await adminApis().apps.readNamespacedDeployment({ name: 'web', namespace })).spec
          ?.replicas === 2
          ? true
          : undefined,
      120_000,
      1000,
    );
    const leader = (await serve.get('/autoscale/status')).body;
    expect(leader).toMatchObject({ leader: true, leader_identity: 'qpilot-e2e-0' });
  });
  it('runs the agent as the chart does, in-cluster with its narrowed rights, for a real hub', async () => {
    hub = await startServe(['--cluster', 'sim', '--auto-scale-enabled', 'false']);
    const made = await hub.post('/clusters', { id: 'chart' });
    expect(made.status).toBe(201);
    const hubUrl = hub.url.replace('localhost', '127.0.0.1');
    kubectl(['delete', 'secret', 'agent-credentials', '-n', 'qpilot-system']);
    kubectlOk([
      'create',
      'secret',
      'generic',
      'agent-credentials',
      '-n',
      'qpilot-system',
      `--from-literal=api-key=${made.body.api_key as string}`,
      `--from-literal=secret-key=${made.body.secret_key as string}`,
    ]);
    const objects = loadAllYaml(
      template([
        '--set',
        'server.enabled=false',
        '--set',
        'agent.enabled=true',
        '--set',
        'agent.clusterId=chart',
        '--set',
        `agent.backend.url=${hubUrl}/`,
        '--set',
        `agent.backend.wsUrl=${hubUrl.replace('http', 'ws')}/ws`,
        '--set',
        'agent.actions={scale}',
      ]),
    ) as Obj[];
    const pod = asItsPod(objects, 'qpilot-agent');
    // The container's own command: node, its V8 flags and the bundle (ADR 16), then `agent`.
    const command = pod.container.command!;
    expect(command[0]).toBe('node');
    expect(command.at(-1)).toBe('dist/bundle/agent.mjs');
    expect(pod.container.args).toEqual(['agent']);
    const env = pod.env;
    env.API_KEY = made.body.api_key as string;
    env.SECRET_KEY = made.body.secret_key as string;
    delete env.PORT;
    delete env.QPILOT_DATA_DIR;
    agent = await startServe(['--host', '127.0.0.1'], env, {
      prefix: pod.prefix,
      command: 'agent',
      bundle: true,
      nodeFlags: command.slice(1, -1),
    });
    expect(agent.output()).toMatch(/in-cluster service account/);
    await eventually(
      'the chart-run agent on its socket',
      async () => {
        const c = (await hub!.get('/clusters/chart')).body.cluster as {
          agents: { channel: string; actions: string[] }[];
        };
        return c.agents[0]?.channel === 'websocket' ? c.agents[0] : undefined;
      },
      60_000,
      1000,
    );
    await createDeployment({
      namespace,
      name: 'remote',
      replicas: 1,
      cpuRequest: '100m',
      memoryRequest: '64Mi',
    });
    const scaled = await hub.post('/clusters/chart/actions', {
      type: 'scale',
      namespace,
      name: 'remote',
      replicas: 3,
    });
    expect(scaled.status).toBe(200);
    expect(
      (await adminApis().apps.readNamespacedDeployment({ name: 'remote', namespace })).spec
        ?.replicas,
    ).toBe(3);
    // An action the chart did not grant is refused by the agent, before the API server.
    const cordon = await hub.post('/clusters/chart/actions', {
      type: 'cordon',
      node: 'node-000000',
    });
    expect(cordon.status).toBe(403);
  });
});
