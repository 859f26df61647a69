import { describe, expect, it } from 'vitest';
import {
  matchesFields,
  parseFieldSelector,
  parseLabelSelector,
  selectorFromMatchLabels,
} from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'frontend', 'qpilot.io/mode': 'auto' };

  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['tier in (frontend, backend)', true],
    ['tier notin (frontend)', false],
    ['missing notin (x)', true],
    ['qpilot.io/mode', true],
    ['!qpilot.io/mode', false],
    ['!missing', true],
    ['missing', false],
    ['app in (api),tier', false],
  ])('"%s" matches: %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('treats no labels as an empty map', () => {
    expect(parseLabelSelector('!app')(undefined)).toBe(true);
    expect(parseLabelSelector('app=web')(undefined)).toBe(false);
  });

  it.each(['app=we b', 'a,,b', '=web', 'app in (a b)', 'Bad_Prefix/key=x'])(
    'rejects "%s" naming it',
    (bad) => {
      expect(() => parseLabelSelector(bad)).toThrow(/labelSelector/);
    },
  );

  it('builds a selector from matchLabels', () => {
    expect(selectorFromMatchLabels({ app: 'web', tier: 'fe' })).toBe('app=web,tier=fe');
    expect(selectorFromMatchLabels(undefined)).toBe('');
  });
});

describe('field selectors', () => {
  const fields = ['spec.nodeName', 'status.phase', 'metadata.name'];
  const pod: Record<string, string> = {
    'spec.nodeName': 'node2',
    'status.phase': 'Running',
    'metadata.name': 'p',
  };

  it('parses the selector of the node report', () => {
    const reqs = parseFieldSelector(
      'spec.nodeName=node2,status.phase!=Failed,status.phase!=Succeeded',
      fields,
    );
    expect(reqs).toHaveLength(3);
    expect(matchesFields(reqs, (f) => pod[f] ?? '')).toBe(true);
    expect(matchesFields(reqs, (f) => ({ ...pod, 'status.phase': 'Failed' })[f] ?? '')).toBe(false);
    expect(
      matchesFields(parseFieldSelector('spec.nodeName==node1', fields), (f) => pod[f] ?? ''),
    ).toBe(false);
  });

  it('rejects unsupported fields the way the API server does', () => {
    expect(() => parseFieldSelector('spec.hostname=x', fields)).toThrow(
      /field label not supported: spec.hostname/,
    );
    expect(() => parseFieldSelector('nonsense', fields)).toThrow(/cannot parse/);
  });
});
