import { describe, expect, it } from 'vitest';
import type { FallbackEvent } from './guardrails.js';
import { DQN_EXPECTATION } from './dqn/dqnPolicy.js';
import { DQN_VERTICAL_EXPECTATION } from './dqnVertical/dqnVerticalPolicy.js';
import { createPolicy, parsePolicySpec, policyKind, policyLabel } from './registry.js';
import { observation, pods } from './testing/observations.js';
import { randomModel } from './testing/randomModel.js';

const noModels = {
  loadModel: () => Promise.reject(new Error('no models here')),
};

describe('the policy registry', () => {
  it('parses specs and refuses unknown names, listing the known ones', () => {
    expect(parsePolicySpec('hpa:80')).toEqual({ name: 'hpa', arg: '80' });
    expect(parsePolicySpec(' dqn:/models/a:b ')).toEqual({ name: 'dqn', arg: '/models/a:b' });
    expect(() => parsePolicySpec('keda')).toThrow(
      /unknown policy "keda": one of dqn, dqn-vertical, hpa/,
    );
    expect(policyLabel({ name: 'static', arg: '4' })).toBe('static-4');
    expect(policyLabel({ name: 'dqn', arg: '/some/dir' })).toBe('dqn');
    expect(policyKind({ name: 'vpa' })).toBe('vertical');
    expect(policyKind({ name: 'oracle' })).toBe('horizontal');
  });

  it('builds each baseline with its configuration, naming a bad one', async () => {
    expect((await createPolicy({ name: 'hpa', arg: '85' }, noModels)).name).toBe('hpa-85');
    expect((await createPolicy({ name: 'static', arg: '3' }, noModels)).name).toBe('static-3');
    expect((await createPolicy({ name: 'vpa' }, noModels)).kind).toBe('vertical');
    await expect(createPolicy({ name: 'hpa', arg: 'high' }, noModels)).rejects.toThrow(/"high"/);
    await expect(createPolicy({ name: 'static' }, noModels)).rejects.toThrow(/static:4/);
    await expect(createPolicy({ name: 'oracle' }, noModels)).rejects.toThrow(/evaluation/);
    await expect(createPolicy({ name: 'dqn' }, noModels)).rejects.toThrow(/no models here/);
  });

  it('hands a learned policy that answers NaN over to its baseline, and says so', async () => {
    const horizontal = randomModel(DQN_EXPECTATION, 3);
    horizontal.mlp.spec.heads[0]![0]!.bias[2] = Number.NaN;
    const vertical = randomModel(DQN_VERTICAL_EXPECTATION, 4);
    vertical.mlp.spec.heads[1]![0]!.bias[0] = Number.NaN;
    const events: FallbackEvent[] = [];
    const ctx = {
      loadModel: (policy: 'dqn' | 'dqn-vertical') =>
        Promise.resolve(policy === 'dqn' ? horizontal : vertical),
      onFallback: (e: FallbackEvent) => events.push(e),
    };
    const input = {
      observation: observation(1_000_000, pods(4, { cpu: 450 })),
      bounds: {
        minReplicas: 1,
        maxReplicas: 10,
        minCpuMillicores: 100,
        maxCpuMillicores: 4000,
        minMemoryBytes: 64 * 2 ** 20,
        maxMemoryBytes: 4096 * 2 ** 20,
      },
      scaleFactor: 0.2,
    };
    const dqn = await createPolicy({ name: 'dqn' }, ctx);
    const d = dqn.decide(input);
    expect(d.fallback?.from).toBe('dqn');
    expect(d.policy).toBe('hpa');
    // 4 pods at 90 % of their request against a 70 % target: the HPA's 6.
    expect(d.kind === 'horizontal' && d.replicas.desired).toBe(6);
    const v = (await createPolicy({ name: 'dqn-vertical' }, ctx)).decide(input);
    expect(v.fallback?.from).toBe('dqn-vertical');
    expect(v.policy).toBe('vpa');
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['dqn->hpa', 'dqn-vertical->vpa']);
    expect(events[0]!.reason).toMatch(/non-finite/);
  });
});
