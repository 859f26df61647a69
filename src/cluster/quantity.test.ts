import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isQpError } from '../core/errors.js';
import { bytes, millicores } from '../core/units.js';
import { formatCpu, formatMemory, parseCpu, parseMemory, parseQuantity } from './quantity.js';

describe('quantities', () => {
  it.each([
    ['100m', 100],
    ['1.5', 1500],
    ['2', 2000],
    ['0.25', 250],
    ['2e-1', 200],
    ['500000u', 500],
    ['1n', 1],
  ])('parses cpu %s as %d millicores', (text, expected) => {
    expect(parseCpu(text)).toBe(expected);
  });

  it.each([
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1G', 1e9],
    ['512', 512],
    ['64k', 64_000],
    ['1e6', 1e6],
  ])('parses memory %s as %d bytes', (text, expected) => {
    expect(parseMemory(text)).toBe(expected);
  });

  it('rejects text that is not a quantity, naming it', () => {
    for (const bad of ['abc', '1.2.3', '12Mb', '', 'Mi']) {
      let caught: unknown;
      try {
        parseQuantity(bad, 'memory');
      } catch (err) {
        caught = err;
      }
      expect(isQpError(caught, 'QP_ERR_INVALID_ARGUMENT')).toBe(true);
      expect((caught as Error).message).toContain(`"${bad}"`);
    }
    expect(() => parseCpu('-1')).toThrow(/negative/);
  });

  it('formats the way kubectl shows quantities', () => {
    expect(formatCpu(millicores(250))).toBe('250m');
    expect(formatCpu(millicores(2000))).toBe('2');
    expect(formatMemory(bytes(128 * 2 ** 20))).toBe('128Mi');
    expect(formatMemory(bytes(2 ** 30))).toBe('1Gi');
    expect(formatMemory(bytes(1000))).toBe('1000');
    expect(formatMemory(bytes(0))).toBe('0');
  });

  it('round-trips formatted values', () => {
    for (const m of [1, 100, 999, 1000, 1500, 64000])
      expect(parseCpu(formatCpu(millicores(m)))).toBe(m);
    for (const b of [1, 1024, 3 * 2 ** 20, 5 * 2 ** 30 + 1])
      expect(parseMemory(formatMemory(bytes(b)))).toBe(b);
  });
});

describe('the fast path for whole numbers', () => {
  it('reads every whole number with a suffix exactly as client-node does', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 999_999_999_999_999n }),
        fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'Ki', 'Mi', 'Gi', 'Ti'),
        (n, suffix) => {
          const text = `${n}${suffix}`;
          expect(parseQuantity(text)).toBe(Number(quantityToScalar(text)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
