import type { V1Deployment } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from './settings.js';
import { planWorkload } from './workloadSettings.js';

const deployment = (
  name: string,
  annotations: Record<string, string> = {},
  labels: Record<string, string> = { app: name },
): V1Deployment => ({
  metadata: { namespace: 'shop', name, annotations, labels },
  spec: {
    selector: { matchLabels: labels },
    template: { metadata: { labels }, spec: { containers: [] } },
  },
});

describe('planWorkload', () => {
  it('takes the global settings when the Deployment says nothing', () => {
    const plan = planWorkload(deployment('web'), DEFAULT_SETTINGS);
    expect(plan).toMatchObject({
      namespace: 'shop',
      name: 'web',
      mode: 'auto',
      policy: { name: 'dqn' },
      scaleFactor: 0.2,
      cooldownMs: 30 * 60_000,
      bounds: { minReplicas: 1, maxReplicas: 100, minCpuMillicores: 100, maxCpuMillicores: 8000 },
    });
    expect(plan.skip).toBeUndefined();
  });

  it('lets qpilot.io annotations override them', () => {
    const plan = planWorkload(
      deployment('web', {
        'qpilot.io/mode': 'recommend',
        'qpilot.io/policy': 'hpa:80',
        'qpilot.io/min-replicas': '2',
        'qpilot.io/max-replicas': '12',
        'qpilot.io/min-cpu': '250m',
        'qpilot.io/max-memory': '2Gi',
        'qpilot.io/cooldown-minutes': '5',
        'qpilot.io/scale-factor': '0.1',
      }),
      DEFAULT_SETTINGS,
    );
    expect(plan).toMatchObject({
      mode: 'recommend',
      policy: { name: 'hpa', arg: '80' },
      bounds: { minReplicas: 2, maxReplicas: 12, minCpuMillicores: 250, maxMemoryBytes: 2 ** 31 },
      cooldownMs: 300_000,
      scaleFactor: 0.1,
    });
  });

  it('leaves excluded workloads alone, by name or by label', () => {
    expect(planWorkload(deployment('redis'), DEFAULT_SETTINGS).skip).toEqual({
      reason: 'excluded',
      message: 'redis is in excluded_deployments',
    });
    expect(
      planWorkload(deployment('cache', {}, { component: 'redis' }), DEFAULT_SETTINGS).skip?.message,
    ).toBe('cache has the excluded label component=redis');
    expect(
      planWorkload(deployment('web', { 'qpilot.io/mode': 'off' }), DEFAULT_SETTINGS).skip?.reason,
    ).toBe('mode_off');
  });

  it.each([
    [{ 'qpilot.io/mode': 'sometimes' }, 'annotation qpilot.io/mode: "sometimes"'],
    [{ 'qpilot.io/policy': 'magic' }, 'annotation qpilot.io/policy: unknown policy "magic"'],
    [{ 'qpilot.io/policy': 'oracle' }, 'the oracle exists only in evaluation'],
    [{ 'qpilot.io/min-replicas': 'two' }, 'annotation qpilot.io/min-replicas: "two"'],
    [{ 'qpilot.io/min-replicas': '5', 'qpilot.io/max-replicas': '3' }, 'min-replicas 5 is above'],
    [{ 'qpilot.io/max-cpu': 'lots' }, 'annotation qpilot.io/max-cpu'],
    [{ 'qpilot.io/scale-factor': '2' }, 'must be between 0 and 1'],
  ])('skips a workload with a bad annotation %j and says why', (annotations, message) => {
    const plan = planWorkload(deployment('web', annotations), DEFAULT_SETTINGS);
    expect(plan.skip?.reason).toBe('invalid_annotation');
    expect(plan.skip?.message).toContain(message);
  });

  it('reads the SLO from qpilot.io/slo-* annotations, and names a bad one', () => {
    expect(planWorkload(deployment('web'), DEFAULT_SETTINGS).slo).toBeUndefined();
    expect(
      planWorkload(deployment('a', { 'qpilot.io/slo-latency-ms': '250' }), DEFAULT_SETTINGS).slo,
    ).toEqual({ latencyP95Ms: 250, maxDropRatio: 0.001 });
    expect(
      planWorkload(
        deployment('b', {
          'qpilot.io/slo-latency-ms': '80',
          'qpilot.io/slo-max-drop-ratio': '0.01',
        }),
        DEFAULT_SETTINGS,
      ).slo,
    ).toEqual({ latencyP95Ms: 80, maxDropRatio: 0.01 });
    const bad = (annotations: Record<string, string>) =>
      planWorkload(deployment('c', annotations), DEFAULT_SETTINGS).skip;
    expect(bad({ 'qpilot.io/slo-latency-ms': 'fast' })).toMatchObject({
      reason: 'invalid_annotation',
      message: expect.stringMatching(/qpilot.io\/slo-latency-ms: "fast"/) as unknown,
    });
    expect(bad({ 'qpilot.io/slo-latency-ms': '0' })?.message).toMatch(/must be above 0/);
    expect(bad({ 'qpilot.io/slo-max-drop-ratio': '0.01' })?.message).toMatch(
      /needs qpilot.io\/slo-latency-ms/,
    );
    expect(
      bad({ 'qpilot.io/slo-latency-ms': '100', 'qpilot.io/slo-max-drop-ratio': '2' })?.message,
    ).toMatch(/between 0 and 1/);
  });

  it('refuses a model directory named by annotation', () => {
    const plan = planWorkload(
      deployment('web', { 'qpilot.io/policy': 'dqn:/etc' }),
      DEFAULT_SETTINGS,
    );
    expect(plan.skip).toMatchObject({ reason: 'invalid_annotation' });
    expect(plan.skip?.message).toContain('a model directory cannot be chosen by annotation');
  });
});
