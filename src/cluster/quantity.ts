/**
 * Kubernetes resource quantities ("100m", "1.5", "128Mi", "1Gi") to and from qpilot's units.
 * Parsing goes through @kubernetes/client-node's `quantityToScalar`; it only rejects
 * fractional values with a suffix such as "1.5Gi" (it builds a BigInt), which the API server
 * accepts, so those are scaled here by the same suffix table.
 */
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import { invalidArgument } from '../core/errors.js';
import { type Bytes, type Millicores, bytes, millicores } from '../core/units.js';

// The grammar of resource.Quantity: a signed decimal, then a binary suffix, a decimal suffix
// or a decimal exponent.
const QUANTITY = /^[+-]?(\d+\.?\d*|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX_SCALE: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Whole numbers with a suffix, the forms metrics-server and kubectl write ("250m", "123456n", "512Ki"). */
const SIMPLE = /^(\d{1,15})(n|u|m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const SIMPLE_SCALE: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
};

/**
 * Nanocores and kibibytes as metrics-server writes them ("12345678n", "65536Ki"), read without
 * a regular expression: twenty thousand of them a cycle. Anything else is left to the parser.
 */
function wholeWithSuffix(text: string): number | undefined {
  if (typeof text !== 'string') return undefined;
  const ki = text.endsWith('Ki');
  const end = ki ? text.length - 2 : text.endsWith('n') ? text.length - 1 : -1;
  if (end < 1 || end > 15) return undefined;
  let n = 0;
  for (let i = 0; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return ki ? n * 1024 : n / 1_000_000_000;
}

/** A quantity as a plain number of base units (cores for CPU, bytes for memory). */
export function parseQuantity(text: string, what = 'quantity'): number {
  const quick = wholeWithSuffix(text);
  if (quick !== undefined) return quick;
  const trimmed = String(text).trim();
  // The common case, without the general parser's BigInt: metrics come in thousands a cycle.
  const simple = SIMPLE.exec(trimmed);
  if (simple) {
    const n = Number(simple[1]);
    const suffix = simple[2];
    if (suffix === undefined) return n;
    const scale = SIMPLE_SCALE[suffix]!;
    // Decimal fractions divide, so that 250m is exactly 0.25 as the general parser gives it.
    return scale < 1 ? n / Math.round(1 / scale) : n * scale;
  }
  const match = QUANTITY.exec(trimmed);
  if (!match)
    throw invalidArgument(
      `${what} "${text}" is not a Kubernetes quantity (like "100m", "1.5", "128Mi")`,
    );
  const [, digits, suffix] = match;
  let value: number;
  if (suffix && /^[eE]/.test(suffix)) {
    value = Number(trimmed);
  } else if (suffix && digits!.includes('.') && SUFFIX_SCALE[suffix] !== undefined) {
    value = Number(trimmed.slice(0, -suffix.length)) * SUFFIX_SCALE[suffix];
  } else {
    value = Number(quantityToScalar(trimmed));
  }
  if (!Number.isFinite(value)) throw invalidArgument(`${what} "${text}" is out of range`);
  return value;
}

export function parseCpu(text: string): Millicores {
  const cores = parseQuantity(text, 'cpu');
  if (cores < 0) throw invalidArgument(`cpu "${text}" must not be negative`);
  // The API server rounds CPU up to whole millicores.
  return millicores(Math.ceil(Math.round(cores * 1e9) / 1e6));
}

export function parseMemory(text: string): Bytes {
  const value = parseQuantity(text, 'memory');
  if (value < 0) throw invalidArgument(`memory "${text}" must not be negative`);
  return bytes(Math.ceil(value));
}

/** "250m", or whole cores ("2") when exact: the form kubectl shows. */
export function formatCpu(value: Millicores): string {
  const m = Math.round(value);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

/** The largest binary suffix that divides the value exactly ("128Mi", "1Gi", "1000"). */
export function formatMemory(value: Bytes): string {
  const b = Math.round(value);
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const scale = SUFFIX_SCALE[suffix]!;
    if (b !== 0 && b % scale === 0) return `${b / scale}${suffix}`;
  }
  return String(b);
}
