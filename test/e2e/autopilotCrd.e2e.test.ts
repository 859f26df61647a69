/**
 * The Autopilot custom resource (deploy/crds/) on a real API server: it installs, defaults
 * what a user leaves out, shows its columns in `kubectl get ap`, has a status subresource,
 * and refuses a bad spec with the CEL rule's own message before qpilot could see it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ROOT,
  createNamespace,
  deleteNamespace,
  installAutopilotCrd,
  kubectl,
  kubectlOk,
  uniqueName,
} from './lib/e2eEnv.js';

const namespace = uniqueName('crd');

beforeAll(async () => {
  installAutopilotCrd();
  await createNamespace(namespace);
}, 90_000);

afterAll(async () => {
  await deleteNamespace(namespace);
});

function autopilot(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'qpilot.io/v1alpha1',
    kind: 'Autopilot',
    metadata: { name, namespace },
    spec,
  });
}

const target = { kind: 'Deployment', name: 'web' };

/** kubectl apply of one Autopilot; the API server's refusal, or '' when it took it. */
function apply(name: string, spec: Record<string, unknown>): string {
  const r = kubectl(['apply', '-f', '-'], { input: autopilot(name, spec) });
  return r.status === 0 ? '' : r.stderr;
}

describe('the Autopilot custom resource', () => {
  it('takes the example, and fills in the defaults', () => {
    const example = kubectl([
      'apply',
      '-n',
      namespace,
      '-f',
      `${ROOT}/deploy/examples/autopilot.yaml`,
    ]);
    expect(example.stderr).toBe('');
    expect(apply('minimal', { targetRef: target })).toBe('');
    const got = JSON.parse(kubectlOk(['get', 'ap', 'minimal', '-n', namespace, '-o', 'json'])) as {
      spec: { mode: string; policy: string; targetRef: { apiVersion: string } };
    };
    expect(got.spec).toMatchObject({
      mode: 'Auto',
      policy: 'dqn',
      targetRef: { apiVersion: 'apps/v1' },
    });
  });

  it('shows its columns, and status goes through the status subresource', () => {
    kubectlOk([
      'patch',
      'ap',
      'minimal',
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: { currentReplicas: 2, desiredReplicas: 3, lastDecision: { action: 'scale 2->3' } },
      }),
    ]);
    const table = kubectlOk(['get', 'ap', '-n', namespace]);
    const [header, ...rows] = table.trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual([
      'NAME',
      'TARGET',
      'MODE',
      'POLICY',
      'CURRENT',
      'DESIRED',
      'LAST ACTION',
      'AGE',
    ]);
    expect(
      rows
        .find((r) => r.startsWith('minimal'))!
        .split(/\s{2,}/)
        .slice(0, 7),
    ).toEqual(['minimal', 'web', 'Auto', 'dqn', '2', '3', 'scale 2->3']);
    // A spec update cannot write status.
    kubectlOk([
      'patch',
      'ap',
      'minimal',
      '-n',
      namespace,
      '--type=merge',
      '-p',
      JSON.stringify({ status: { currentReplicas: 99 } }),
    ]);
    expect(
      kubectlOk([
        'get',
        'ap',
        'minimal',
        '-n',
        namespace,
        '-o',
        'jsonpath={.status.currentReplicas}',
      ]),
    ).toBe('2');
  });

  it.each([
    [
      'min above max',
      { targetRef: target, constraints: { minReplicas: 5, maxReplicas: 2 } },
      'constraints.minReplicas must not exceed constraints.maxReplicas',
    ],
    [
      'a cpu of zero',
      {
        targetRef: target,
        constraints: { containers: [{ name: 'web', minAllowed: { cpu: '0' } }] },
      },
      'cpu must be a quantity above zero',
    ],
    [
      'memory that is not a quantity',
      {
        targetRef: target,
        constraints: { containers: [{ name: 'web', maxAllowed: { memory: 'lots' } }] },
      },
      'memory must be a quantity of at least 1Mi',
    ],
    [
      'a minimum above the maximum',
      {
        targetRef: target,
        constraints: {
          containers: [
            { name: 'web', minAllowed: { memory: '2Gi' }, maxAllowed: { memory: '1Gi' } },
          ],
        },
      },
      'minAllowed.memory must not exceed maxAllowed.memory',
    ],
    [
      'an unknown mode',
      { targetRef: target, mode: 'Sometimes' },
      'supported values: "Auto", "Recommend", "Off"',
    ],
    ['an unknown policy', { targetRef: target, policy: 'magic' }, 'spec.policy'],
    ['no target', { mode: 'Auto' }, 'spec.targetRef: Required value'],
    ['a DaemonSet', { targetRef: { kind: 'DaemonSet', name: 'x' } }, 'spec.targetRef.kind'],
  ])('refuses %s with the rule that says why', (_what, spec, message) => {
    const refused = apply(uniqueName('bad'), spec);
    expect(refused).toContain(message);
  });

  it('takes every mode, Off included (YAML 1.1 would read a bare Off as false)', () => {
    for (const mode of ['Auto', 'Recommend', 'Off'])
      expect(apply(`mode-${mode.toLowerCase()}`, { targetRef: target, mode }), mode).toBe('');
  });

  it('keeps its target: another workload is another Autopilot', () => {
    expect(apply('fixed', { targetRef: target })).toBe('');
    expect(apply('fixed', { targetRef: { kind: 'Deployment', name: 'api' } })).toContain(
      'targetRef is immutable',
    );
  });
});
