import { describe, expect, it } from 'vitest';
import { MicroTime } from './leaseStore.js';

describe('MicroTime', () => {
  it('writes six fractional digits, as the API server requires, and reads back the same instant', () => {
    const t = new MicroTime(Date.UTC(2026, 10, 22, 0, 34, 6, 607));
    expect(t.toISOString()).toBe('2026-11-22T00:34:06.607000Z');
    expect(Date.parse(t.toISOString())).toBe(t.getTime());
  });
});
