import { describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue, pageOf } from './paging.js';

const items = Array.from({ length: 7 }, (_, i) => `k${i}`);
const page = (options: { limit?: number; continue?: string }, keep = (_: string) => true) =>
  pageOf(
    items,
    (x) => x,
    keep,
    (x) => x.toUpperCase(),
    options,
  );

describe('paging', () => {
  it('returns everything without a limit', () => {
    expect(page({})).toEqual({ items: items.map((x) => x.toUpperCase()) });
  });

  it('walks pages with continue tokens and ends without one', () => {
    const p1 = page({ limit: 3 });
    expect(p1.items).toEqual(['K0', 'K1', 'K2']);
    const p2 = page({ limit: 3, continue: p1.continue });
    expect(p2.items).toEqual(['K3', 'K4', 'K5']);
    const p3 = page({ limit: 3, continue: p2.continue });
    expect(p3).toEqual({ items: ['K6'] });
  });

  it('gives no token when the last page is exactly full', () => {
    const p = page({ limit: 2 }, (x) => x === 'k1' || x === 'k4');
    expect(p).toEqual({ items: ['K1', 'K4'] });
  });

  it('resumes after the last key even when items were removed meanwhile', () => {
    const token = encodeContinue('k2');
    expect(
      pageOf(
        ['k0', 'k4'],
        (x) => x,
        () => true,
        (x) => x,
        { continue: token },
      ).items,
    ).toEqual(['k4']);
  });

  it('rejects malformed tokens and limits', () => {
    expect(() => decodeContinue('not-a-token')).toThrow(/continue token/);
    expect(() => page({ limit: -1 })).toThrow(/limit/);
    expect(() => page({ limit: 1.5 })).toThrow(/limit/);
  });
});
