import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { isQpError } from '../../core/errors.js';
import type { HubMessage } from '../../core/protocol.js';
import { SignatureVerifier } from '../../core/signing.js';
import { Switchboard } from './switchboard.js';

const SECRET = 'k'.repeat(40);
const scale = (id: string) =>
  ({
    kind: 'action',
    action: { id, type: 'scale', namespace: 'default', name: 'web', replicas: 3 },
  }) as const;

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const board = new Switchboard({
    clock,
    secretKey: (id) => (id === 'prod' ? SECRET : undefined),
    pollGraceMs: 30_000,
  });
  return { clock, board };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('the switchboard', () => {
  it('sends a call signed on the newest socket and settles it with its result', async () => {
    const { clock, board } = setup();
    const sent: HubMessage[] = [];
    board.attach('prod', 'old', () => {
      throw new Error('not this one');
    });
    board.attach('prod', 'new', (m) => sent.push(m));
    const p = board.call('prod', scale('a-1'), 10_000);
    expect(sent).toHaveLength(1);
    const m = sent[0]!;
    expect(m.type).toBe('action');
    if (m.type !== 'action') return;
    expect(new SignatureVerifier(SECRET).verify(m.action, m.signature, clock.now())).toEqual({
      ok: true,
    });
    expect(
      board.settle('other', {
        actionId: 'a-1',
        outcome: 'succeeded',
        message: '',
        finishedAtMs: 1,
      }),
    ).toBe(false);
    expect(
      board.settle('prod', {
        actionId: 'a-1',
        outcome: 'succeeded',
        message: 'ok',
        finishedAtMs: 1,
        value: 7,
      }),
    ).toBe(true);
    expect(await p).toMatchObject({ value: 7 });
    expect(
      board.settle('prod', { actionId: 'a-1', outcome: 'succeeded', message: '', finishedAtMs: 1 }),
    ).toBe(false);
  });

  it('refuses at once when no agent is reachable, and for a cluster it does not know', async () => {
    const { board } = setup();
    const none = await rejection(board.call('prod', scale('a-1'), 1000));
    expect(isQpError(none, 'QP_ERR_UNAVAILABLE')).toBe(true);
    const unknown = await rejection(board.call('nope', scale('a-2'), 1000));
    expect(isQpError(unknown, 'QP_ERR_NOT_FOUND')).toBe(true);
  });

  it('names the field of a call that breaks the protocol', async () => {
    const { board } = setup();
    board.attach('prod', 'a', () => undefined);
    const bad = await rejection(
      board.call(
        'prod',
        { kind: 'action', action: { ...scale('a-1').action, replicas: -1 } },
        1000,
      ),
    );
    expect(isQpError(bad, 'QP_ERR_INVALID_ARGUMENT')).toBe(true);
    expect((bad as Error).message).toMatch(/^action: action/);
  });

  it('withdraws a queued call nobody polled (503: nothing changed), times out a delivered one (504)', async () => {
    const { clock, board } = setup();
    expect(board.poll('prod', 'poller')).toEqual([]);
    const queued = rejection(board.call('prod', scale('q-1'), 5_000));
    expect(board.state('prod').queued).toBe(1);
    clock.advance(5_000);
    const withdrawn = await queued;
    expect(isQpError(withdrawn, 'QP_ERR_UNAVAILABLE')).toBe(true);
    expect((withdrawn as Error).message).toMatch(/withdrawn, nothing was changed/);
    expect(board.poll('prod', 'poller')).toEqual([]);

    const taken = rejection(board.call('prod', scale('q-2'), 5_000));
    const handed = board.poll('prod', 'poller');
    expect(handed.map((m) => m.type)).toEqual(['action']);
    clock.advance(5_000);
    const late = await taken;
    expect(isQpError(late, 'QP_ERR_TIMEOUT')).toBe(true);
    expect((late as Error).message).toMatch(/may have been carried out/);
  });

  it('forgets a polling agent after its grace, and hands queued calls to a socket that opens', async () => {
    const { clock, board } = setup();
    board.poll('prod', 'poller');
    expect(board.reachable('prod')).toBe(true);
    const p = board.call('prod', scale('s-1'), 60_000);
    const sent: HubMessage[] = [];
    const detach = board.attach('prod', 'socket', (m) => sent.push(m));
    expect(sent).toHaveLength(1);
    board.settle('prod', { actionId: 's-1', outcome: 'succeeded', message: '', finishedAtMs: 1 });
    await p;
    clock.advance(31_000);
    expect(board.reachable('prod')).toBe(true);
    detach();
    expect(board.state('prod').sockets).toEqual([]);
    expect(board.reachable('prod')).toBe(false);
  });
});
