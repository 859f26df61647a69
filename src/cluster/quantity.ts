/**
 * Kubernetes resource quantities ("100m", "1.5", "128Mi", "1Gi") to and from qpilot's units.
 * Parsing goes through @kubernetes/client-node's `quantityToScalar`; it only rejects
 * fractional values with a suffix such as "1.5Gi" (it builds a BigInt), which the API server
 * accepts, so those are scaled here by the same suffix table.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
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

/** A quantity as a plain number of base units (cores for CPU, bytes for memory). */
export function parseQuantity(text: string, what = 'quantity'): number {
  const trimmed = String(text).trim();
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

export interface PodResourceTotals {
  cpuRequests: Millicores;
  cpuLimits: Millicores;
  memoryRequests: Bytes;
  memoryLimits: Bytes;
}

function containerValue(
  c: V1Container,
  kind: 'requests' | 'limits',
  resource: 'cpu' | 'memory',
): number {
  const q = c.resources?.[kind]?.[resource];
  if (q === undefined || q === null || q === '') return 0;
  return resource === 'cpu' ? parseCpu(String(q)) : parseMemory(String(q));
}

/**
 * What a pod requests and limits, as the scheduler and `kubectl describe node` count it:
 * the sum over app containers, at least the largest init container (they run one at a
 * time, before the app containers), plus the pod overhead. Requests and limits are summed
 * independently, so a container with requests and no limits still counts its requests.
 */
export function podResourceTotals(pod: V1Pod): PodResourceTotals {
  const cached = totalsCache.get(pod);
  if (cached) return cached;
  const result = computeTotals(pod);
  totalsCache.set(pod, result);
  return result;
}

/**
 * Totals per pod object: the simulator hands out the same object until the pod changes, and
 * parsing quantity strings is what observing thousands of pods spends its time on.
 */
const totalsCache = new WeakMap<V1Pod, PodResourceTotals>();

function computeTotals(pod: V1Pod): PodResourceTotals {
  const totals = { cpuRequests: 0, cpuLimits: 0, memoryRequests: 0, memoryLimits: 0 };
  const keys = [
    ['cpuRequests', 'requests', 'cpu'],
    ['cpuLimits', 'limits', 'cpu'],
    ['memoryRequests', 'requests', 'memory'],
    ['memoryLimits', 'limits', 'memory'],
  ] as const;
  for (const [key, kind, resource] of keys) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) sum += containerValue(c, kind, resource);
    for (const c of pod.spec?.initContainers ?? [])
      sum = Math.max(sum, containerValue(c, kind, resource));
    const overhead = pod.spec?.overhead?.[resource];
    if (overhead) sum += resource === 'cpu' ? parseCpu(overhead) : parseMemory(overhead);
    totals[key] = sum;
  }
  return {
    cpuRequests: millicores(totals.cpuRequests),
    cpuLimits: millicores(totals.cpuLimits),
    memoryRequests: bytes(totals.memoryRequests),
    memoryLimits: bytes(totals.memoryLimits),
  };
}
