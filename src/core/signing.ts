/**
 * Signed messages between qpilot's hub and its in-cluster agents (seed 003: "all actions are
 * verified with HMAC signatures"; issue 13). The hub signs each action with the cluster's
 * secret key: HMAC-SHA256 over a canonical form of the message, a timestamp and a nonce. The
 * agent refuses a bad signature, a timestamp outside the allowed skew, and a nonce it has seen
 * within the window, and says which. Canonical form: JSON with object keys sorted and no
 * whitespace, so that any two serialisations of one message sign alike.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonicalJson.js';

/** The version of the signed form, first in what is signed: another version never verifies. */
export const SIGNATURE_VERSION = 'qpilot-v1';
/** How far a signed timestamp may be from the verifier's clock. */
export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

export interface Signature {
  /** Milliseconds since the epoch, by the signer's clock. */
  timestampMs: number;
  /** 128 random bits, hex: no two messages share one. */
  nonce: string;
  /** HMAC-SHA256, hex. */
  signature: string;
}

function mac(secret: string, message: unknown, timestampMs: number, nonce: string): string {
  return createHmac('sha256', secret)
    .update(`${SIGNATURE_VERSION}\n${timestampMs}\n${nonce}\n${canonicalJson(message)}`)
    .digest('hex');
}

export function sign(
  secret: string,
  message: unknown,
  nowMs: number,
  nonce: string = randomBytes(16).toString('hex'),
): Signature {
  if (secret.length === 0) throw new TypeError('the secret key is empty');
  return { timestampMs: nowMs, nonce, signature: mac(secret, message, nowMs, nonce) };
}

export type Refusal = 'bad_signature' | 'stale' | 'replayed' | 'malformed';

export type Verification = { ok: true } | { ok: false; reason: Refusal; message: string };

const NONCE = /^[0-9a-f]{16,128}$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Checks signatures, and remembers the nonces of those it accepted for twice the allowed skew
 * (a nonce older than that carries a stale timestamp anyway). Bounded: when the window holds
 * `maxNonces` accepted messages, further ones are refused until some expire, which is safer
 * than forgetting nonces that could be replayed.
 */
export class SignatureVerifier {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly secret: string,
    private readonly options: { maxSkewMs?: number; maxNonces?: number } = {},
  ) {
    if (secret.length === 0) throw new TypeError('the secret key is empty');
  }

  verify(message: unknown, sig: Partial<Signature> | undefined, nowMs: number): Verification {
    const skew = this.options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    if (
      !sig ||
      typeof sig.timestampMs !== 'number' ||
      !Number.isSafeInteger(sig.timestampMs) ||
      typeof sig.nonce !== 'string' ||
      !NONCE.test(sig.nonce) ||
      typeof sig.signature !== 'string' ||
      !HEX_SHA256.test(sig.signature)
    )
      return {
        ok: false,
        reason: 'malformed',
        message: 'the signature, timestamp or nonce is missing or malformed',
      };
    let expected: string;
    try {
      expected = mac(this.secret, message, sig.timestampMs, sig.nonce);
    } catch (err) {
      return { ok: false, reason: 'malformed', message: (err as Error).message };
    }
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(sig.signature, 'hex')))
      return {
        ok: false,
        reason: 'bad_signature',
        message: 'the signature does not match the message and the secret key',
      };
    const off = sig.timestampMs - nowMs;
    if (Math.abs(off) > skew)
      return {
        ok: false,
        reason: 'stale',
        message: `the timestamp is ${Math.round(Math.abs(off) / 1000)} s ${off < 0 ? 'old' : 'ahead'}; at most ${skew / 1000} s is allowed`,
      };
    this.expire(nowMs);
    if (this.seen.has(sig.nonce))
      return { ok: false, reason: 'replayed', message: `nonce ${sig.nonce} was seen already` };
    if (this.seen.size >= (this.options.maxNonces ?? 100_000))
      return {
        ok: false,
        reason: 'replayed',
        message: 'too many messages within the allowed skew to remember their nonces',
      };
    this.seen.set(sig.nonce, sig.timestampMs + 2 * skew);
    return { ok: true };
  }

  private expire(nowMs: number): void {
    // Insertion order is nearly expiry order; stop at the first still-valid nonce.
    for (const [nonce, until] of this.seen) {
      if (until > nowMs) break;
      this.seen.delete(nonce);
    }
  }
}
