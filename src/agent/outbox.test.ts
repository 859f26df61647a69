import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Outbox } from './outbox.js';

const dir = () => mkdtempSync(join(tmpdir(), 'qpilot-outbox-'));
const keys = () => {
  let n = 0;
  return () => `key-${++n}`;
};

describe('the agent outbox', () => {
  it('keeps what was not acknowledged across a restart, in order, under the same keys', async () => {
    const d = dir();
    const a = await Outbox.open<number>(d, { newKey: keys() });
    await a.add([1, 2]);
    const second = await a.add([3]);
    await a.add([4]);
    await a.ack(second.idempotencyKey);
    // A new process on the same directory.
    const b = await Outbox.open<number>(d, { newKey: () => 'key-after' });
    const pending = await b.peek(10);
    expect(pending.map((p) => [p.idempotencyKey, p.items])).toEqual([
      ['key-1', [1, 2]],
      ['key-3', [4]],
    ]);
    // New batches sort after the old ones.
    const next = await b.add([5]);
    expect(next.seq).toBe(4);
    expect((await b.peek(10)).map((p) => p.idempotencyKey)).toEqual([
      'key-1',
      'key-3',
      'key-after',
    ]);
  });

  it('drops the oldest past its bounds, and counts them', async () => {
    const box = await Outbox.open<string>(dir(), { newKey: keys(), maxBatches: 2 });
    for (const s of ['a', 'b', 'c']) await box.add([s]);
    expect(box.size).toBe(2);
    expect(box.dropped).toBe(1);
    expect((await box.peek(10)).map((b) => b.items[0])).toEqual(['b', 'c']);
    const small = await Outbox.open<string>(dir(), { newKey: keys(), maxBytes: 200 });
    for (let i = 0; i < 5; i++) await small.add(['x'.repeat(60)]);
    expect(small.bytes).toBeLessThanOrEqual(200);
    expect(small.dropped).toBeGreaterThan(0);
  });

  it('drops an unreadable batch and a temporary file a crash left behind', async () => {
    const d = dir();
    const box = await Outbox.open<number>(d, { newKey: keys() });
    await box.add([1]);
    writeFileSync(join(d, '0000000000000002-torn.json'), '{"idempotencyKey":');
    writeFileSync(join(d, '0000000000000003-half.json.tmp'), '{');
    const again = await Outbox.open<number>(d, { newKey: keys() });
    expect((await again.peek(10)).map((b) => b.items)).toEqual([[1]]);
    expect(again.dropped).toBe(1);
    expect(readdirSync(d)).toEqual(['0000000000000001-key-1.json']);
  });

  it('peeks within the oldest batches without reading those it is told to skip', async () => {
    const d = dir();
    const box = await Outbox.open<number>(d, { newKey: keys() });
    for (let i = 1; i <= 4; i++) await box.add([i]);
    // A skipped batch is not even read: a torn one would otherwise be dropped here.
    writeFileSync(join(d, '0000000000000001-key-1.json'), '{"torn');
    const peeked = await box.peek(3, (key) => key === 'key-1');
    expect(peeked.map((b) => b.idempotencyKey)).toEqual(['key-2', 'key-3']);
    expect(box.dropped).toBe(0);
  });

  it('does not count a batch acknowledged while it was being read as dropped', async () => {
    const box = await Outbox.open<number>(dir(), { newKey: keys() });
    for (let i = 0; i < 50; i++) await box.add([i]);
    // The ack unlinks files that peek has listed but not yet read: they were sent, not lost.
    const [peeked] = await Promise.all([
      box.peek(50),
      (async () => {
        for (let i = 1; i <= 50; i++) await box.ack(`key-${i}`);
      })(),
    ]);
    expect(box.size).toBe(0);
    expect(peeked.length).toBeLessThan(50);
    expect(box.dropped).toBe(0);
  });

  it('refuses an idempotency key that cannot be a file name', async () => {
    const box = await Outbox.open<number>(dir(), { newKey: () => '../etc' });
    await expect(box.add([1])).rejects.toThrow(/idempotency key/);
  });
});
