/**
 * What the packaging promises, read from the files themselves: the rendered manifests grant
 * what deploy/rbac.yaml grants and no more, run qpilot with seed 003's security context,
 * probes and leader election, carry the CRD unchanged; the image runs as uid 1000 without a
 * HEALTHCHECK. (That the manifests equal the chart's rendering is checked where helm is built:
 * test/e2e/helm.e2e.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

const manifests = loadAllYaml(read('deploy/manifests/qpilot.yaml')) as K8sObject[];
const byKind = (kind: string, list = manifests) => list.filter((o) => o.kind === kind);

interface PodSpecShape {
  securityContext: Record<string, unknown>;
  serviceAccountName: string;
  containers: {
    env: { name: string; value?: string }[];
    securityContext: Record<string, unknown>;
    livenessProbe: { httpGet: { path: string } };
    readinessProbe: { httpGet: { path: string } };
    resources: { requests: Record<string, string>; limits: Record<string, string> };
  }[];
}

describe('the plain manifests', () => {
  it('grant exactly the rules of deploy/rbac.yaml', () => {
    const rbac = loadAllYaml(read('deploy/rbac.yaml')) as K8sObject[];
    const rules = (list: K8sObject[], kind: string) =>
      byKind(kind, list).map((o) => o.rules as unknown[]);
    expect(rules(manifests, 'ClusterRole')).toEqual(rules(rbac, 'ClusterRole'));
    expect(rules(manifests, 'Role')).toEqual(rules(rbac, 'Role'));
  });

  it('carry the CRD of deploy/crds unchanged, in the chart too', () => {
    const crd = read('deploy/crds/autopilots.qpilot.io.yaml');
    expect(read('deploy/helm/qpilot/crds/autopilots.qpilot.io.yaml')).toBe(crd);
    expect(byKind('CustomResourceDefinition')).toEqual([loadAllYaml(crd)[0]]);
  });

  it('run two replicas electing a leader, as uid 1000 on a read-only root, with probes', () => {
    const [dep] = byKind('Deployment') as (K8sObject & {
      spec: { replicas: number; template: { spec: PodSpecShape } };
    })[];
    expect(dep!.spec.replicas).toBe(2);
    const pod = dep!.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const [c] = pod.containers;
    expect(c!.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c!.livenessProbe.httpGet.path).toBe('/health');
    expect(c!.readinessProbe.httpGet.path).toBe('/ready');
    expect(c!.resources.requests).toBeDefined();
    const env = Object.fromEntries(c!.env.map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      QPILOT_LEADER_ELECTION: 'true',
      QPILOT_AUTOPILOTS_ONLY: 'true',
      QPILOT_DATA_DIR: '/data',
    });
    expect(env.QPILOT_ALLOWED_HOSTS).toContain('qpilot.qpilot-system.svc');
    expect(pod.serviceAccountName).toBe('qpilot');
    expect(byKind('PodDisruptionBudget')).toHaveLength(1);
  });
});

describe("the agent's plain manifests (seed 003)", () => {
  const agent = loadAllYaml(read('deploy/manifests/qpilot-agent.yaml')) as K8sObject[];

  it('grant exactly the rules of deploy/rbac-agent.yaml, and nothing of the server', () => {
    const rbac = loadAllYaml(read('deploy/rbac-agent.yaml')) as K8sObject[];
    expect(byKind('ClusterRole', agent).map((o) => o.rules)).toEqual(
      byKind('ClusterRole', rbac).map((o) => o.rules),
    );
    expect(agent.map((o) => o.kind)).not.toContain('CustomResourceDefinition');
    expect(byKind('Deployment', agent)).toHaveLength(1);
  });

  it("run the agent with the seed's variables, probes, resources and security context", () => {
    const [dep] = byKind('Deployment', agent) as (K8sObject & {
      spec: { template: { spec: PodSpecShape & { containers: { args: string[] }[] } } };
    })[];
    const [c] = dep!.spec.template.spec.containers;
    expect(c!.args).toEqual(['agent']);
    expect(c!.env.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        'BACKEND_URL',
        'BACKEND_WS_URL',
        'CLUSTER_ID',
        'API_KEY',
        'SECRET_KEY',
        'COLLECTION_INTERVAL',
        'ACTION_POLL_INTERVAL',
        'BATCH_SIZE',
      ]),
    );
    expect(c!.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c!.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c!.resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
    expect(c!.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });
});

describe('the Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .split('\n')
    .filter((l) => !l.trim().startsWith('#') && l.trim() !== '');

  it('builds in stages and runs as uid 1000, without a HEALTHCHECK', () => {
    expect(instructions.filter((l) => l.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    const users = instructions.filter((l) => l.startsWith('USER '));
    expect(users.at(-1)).toBe('USER 1000:1000');
    expect(instructions.some((l) => l.startsWith('HEALTHCHECK'))).toBe(false);
    // The models are inside, checkpoints left out.
    expect(instructions).toContain('COPY models ./models');
    expect(read('.dockerignore')).toMatch(/^models\/\*\/checkpoints$/m);
  });
});
