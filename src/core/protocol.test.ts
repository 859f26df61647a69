import { describe, expect, it } from 'vitest';
import { parseMessage } from './protocol.js';
import { sign } from './signing.js';

const register = {
  v: 1,
  type: 'register',
  id: 'm-1',
  clusterId: 'prod-eu-1',
  agentId: 'agent-7',
  version: '0.1.0',
  actions: ['scale', 'evict'],
  startedAtMs: 1,
};

describe('the agent protocol, version 1', () => {
  it('takes a well-formed message of each side', () => {
    expect(parseMessage('agent', register)).toEqual({ ok: true, message: register });
    const action = { id: 'a-1', type: 'scale', namespace: 'shop', name: 'web', replicas: 3 };
    const msg = {
      v: 1,
      type: 'action',
      id: 'm-2',
      action,
      signature: sign('s'.repeat(32), action, 5),
    };
    expect(parseMessage('hub', msg).ok).toBe(true);
    const ingest = {
      v: 1,
      type: 'ingest',
      id: 'm-3',
      agentId: 'agent-7',
      idempotencyKey: 'k-1',
      seq: 1,
      kind: 'pod_metrics',
      collectedAtMs: 10,
      items: [{ pod: 'web-1', cpu: '10m' }],
    };
    expect(parseMessage('agent', ingest).ok).toBe(true);
  });

  it('names the field at fault', () => {
    const r = parseMessage('agent', { ...register, agentId: 'has spaces' });
    expect(r).toEqual({
      ok: false,
      error: expect.stringMatching(/^register: agentId /) as unknown,
    });
    const scale = { v: 1, type: 'action', id: 'm', signature: sign('s'.repeat(32), {}, 1) };
    const bad = parseMessage('hub', {
      ...scale,
      action: { id: 'a', type: 'scale', namespace: 'shop', name: 'web', replicas: -1 },
    });
    expect(bad.ok).toBe(false);
    expect(bad.ok ? '' : bad.error).toMatch(/^action: action/);
  });

  it('refuses another version, an unknown type, a message of the other side and extra fields', () => {
    expect(parseMessage('agent', { ...register, v: 2 })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/version 2 is not supported/) as unknown,
    });
    expect(parseMessage('agent', { ...register, type: 'action' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/"action" is not one an agent sends/) as unknown,
    });
    expect(parseMessage('hub', register).ok).toBe(false);
    expect(parseMessage('agent', { ...register, extra: 1 }).ok).toBe(false);
    for (const junk of [null, 'x', [], 42]) expect(parseMessage('agent', junk).ok).toBe(false);
  });

  it('refuses an action type the protocol does not have', () => {
    const action = { id: 'a-1', type: 'delete_namespace', namespace: 'shop' };
    const msg = {
      v: 1,
      type: 'action',
      id: 'm',
      action,
      signature: sign('s'.repeat(32), action, 5),
    };
    expect(parseMessage('hub', msg).ok).toBe(false);
  });
});
