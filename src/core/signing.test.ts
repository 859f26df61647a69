import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonicalJson.js';
import { sign, SignatureVerifier } from './signing.js';

const SECRET = 'a secret key';
const action = { id: 'a-1', type: 'scale', namespace: 'shop', name: 'web', replicas: 4 };

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 2, y: undefined }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"z":2}]},"b":1}',
    );
  });

  it('is the same for any order of the same object', () => {
    fc.assert(
      fc.property(
        fc.object({
          values: [
            fc.string(),
            fc.integer(),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.boolean(),
            fc.constant(null),
          ],
        }),
        (o) => {
          const reversed = Object.fromEntries(Object.entries(o).reverse());
          return canonicalJson(o) === canonicalJson(reversed);
        },
      ),
    );
  });

  it('refuses non-finite numbers, which JSON cannot carry', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/non-finite/);
  });
});

describe('signed actions', () => {
  it('verifies what was signed, once', () => {
    const v = new SignatureVerifier(SECRET);
    const sig = sign(SECRET, action, 1_000_000);
    expect(v.verify({ ...action }, sig, 1_000_500)).toEqual({ ok: true });
    expect(v.verify(action, sig, 1_000_600)).toMatchObject({ ok: false, reason: 'replayed' });
  });

  it('refuses any change to the message, the timestamp or the nonce', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (replicas) => {
        fc.pre(replicas !== action.replicas);
        const v = new SignatureVerifier(SECRET);
        const sig = sign(SECRET, action, 5_000);
        return (
          !v.verify({ ...action, replicas }, sig, 5_000).ok &&
          !v.verify(action, { ...sig, timestampMs: sig.timestampMs + 1 }, 5_000).ok &&
          !v.verify(action, { ...sig, nonce: 'f'.repeat(32) }, 5_000).ok
        );
      }),
    );
  });

  it('refuses another key, and says it is the signature', () => {
    const sig = sign('another key', action, 0);
    expect(new SignatureVerifier(SECRET).verify(action, sig, 0)).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('refuses a timestamp outside the skew, either way', () => {
    const v = new SignatureVerifier(SECRET, { maxSkewMs: 60_000 });
    const old = v.verify(action, sign(SECRET, action, 0), 61_000);
    expect(old).toMatchObject({ ok: false, reason: 'stale' });
    expect(old.ok ? '' : old.message).toMatch(/61 s old; at most 60 s/);
    const ahead = v.verify(action, sign(SECRET, action, 200_000), 100_000);
    expect(ahead).toMatchObject({ ok: false, reason: 'stale' });
  });

  it('refuses a missing or malformed signature without throwing', () => {
    const v = new SignatureVerifier(SECRET);
    for (const bad of [undefined, {}, { timestampMs: 1, nonce: 'xyz', signature: 'ab' }])
      expect(v.verify(action, bad, 0)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(v.verify({ x: Number.NaN }, sign(SECRET, {}, 0), 0)).toMatchObject({
      ok: false,
      reason: 'malformed',
    });
  });

  it('forgets nonces after twice the skew, and bounds what it remembers', () => {
    const v = new SignatureVerifier(SECRET, { maxSkewMs: 1000, maxNonces: 2 });
    expect(v.verify(action, sign(SECRET, action, 0, 'a'.repeat(32)), 0).ok).toBe(true);
    expect(v.verify(action, sign(SECRET, action, 0, 'b'.repeat(32)), 0).ok).toBe(true);
    // Full: a third is refused rather than a nonce forgotten early.
    expect(v.verify(action, sign(SECRET, action, 0, 'c'.repeat(32)), 0)).toMatchObject({
      ok: false,
      reason: 'replayed',
    });
    // Past the window the first two are forgotten, and a fresh message goes through.
    expect(v.verify(action, sign(SECRET, action, 2500, 'c'.repeat(32)), 2500).ok).toBe(true);
  });
});
