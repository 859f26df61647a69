import { describe, expect, it } from 'vitest';
import { applyResourceChanges } from './resourceChanges.js';

const current = [
  {
    name: 'app',
    resources: {
      requests: { cpu: '250m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '256Mi' },
    },
  },
  { name: 'sidecar' },
];

describe('applyResourceChanges', () => {
  it('merges the change and normalises its quantities', () => {
    const result = applyResourceChanges(
      current,
      { app: { requests: { cpu: '0.3' }, limits: { memory: '0.5Gi' } } },
      'pod "a/b"',
    );
    expect(result.changes).toEqual({
      app: { requests: { cpu: '300m' }, limits: { memory: '512Mi' } },
    });
    expect(result.containers[0]).toEqual({
      name: 'app',
      requests: { cpu: '300m', memory: '128Mi' },
      limits: { cpu: '500m', memory: '512Mi' },
    });
    expect(result.containers[1]).toEqual({ name: 'sidecar', requests: {}, limits: {} });
  });

  it.each([
    [{}, /no container resources given for pod "a\/b"/],
    [{ ghost: { limits: { cpu: '1' } } }, /has no container "ghost" \(it has "app", "sidecar"\)/],
    [{ app: { limits: { gpu: '1' } } }, /unknown resource "gpu"/],
    [{ app: { limits: { cpu: 'fast' } } }, /"fast" is not a Kubernetes quantity/],
    [{ app: { limits: { cpu: true } } }, /must be a quantity string/],
    [
      { app: { requests: { cpu: '1' } } },
      /cpu request 1 must be less than or equal to its limit 500m/,
    ],
    [{ app: { limit: { cpu: '1' } } }, /unknown field "limit"/],
    [{ app: 'big' }, /must be an object/],
    // What Number() or a lenient parser would take, and what no container can run with.
    [{ app: { requests: { cpu: '0' } } }, /cpu must be at least 1m, got "0"/],
    [{ app: { requests: { memory: '1' } } }, /memory must be at least 1Mi, got "1"/],
    [{ app: { requests: { cpu: ' 100m' } } }, /without spaces/],
    [{ app: { requests: { cpu: '100m\n' } } }, /without spaces/],
    [{ app: { requests: { memory: '' } } }, /must be a quantity string/],
    [{ app: {} }, /container "app" asks for no change/],
    [{ app: { requests: {}, limits: {} } }, /asks for no change/],
  ])('rejects %j, naming the problem', (changes, message) => {
    expect(() => applyResourceChanges(current, changes as never, 'pod "a/b"')).toThrow(message);
  });
});
