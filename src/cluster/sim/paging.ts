/**
 * limit/continue paging over a listing sorted by key, the way the API server pages through
 * etcd: the continue token names the last key returned and the next page starts after it.
 */
import { invalidArgument } from '../../core/errors.js';
import type { Page } from '../clusterClient.js';

export function encodeContinue(lastKey: string): string {
  return Buffer.from(JSON.stringify({ k: lastKey }), 'utf8').toString('base64url');
}

export function decodeContinue(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { k?: unknown }).k === 'string') {
      return (parsed as { k: string }).k;
    }
  } catch {
    // Fall through to the error below: the token is not one of ours.
  }
  throw invalidArgument(`continue token "${token.slice(0, 40)}" is malformed`);
}

function firstAfter<T>(sorted: readonly T[], key: (item: T) => string, after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function validateLimit(limit: number | undefined): number {
  if (limit === undefined || limit === 0) return 0;
  if (!Number.isInteger(limit) || limit < 0)
    throw invalidArgument(`limit must be a non-negative integer, got ${limit}`);
  return limit;
}

/** The index of the first key at or after `from`. */
function firstAtOrAfter<T>(sorted: readonly T[], key: (item: T) => string, from: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(sorted[mid]!) < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One page of the items of `sorted` that pass `keep`, converted by `convert`. With `prefix`
 * (a namespace's `ns/`), only the keys under it are read, as etcd reads a range.
 */
export function pageOf<T, R>(
  sorted: readonly T[],
  key: (item: T) => string,
  keep: (item: T) => boolean,
  convert: (item: T) => R,
  options: { limit?: number; continue?: string },
  prefix?: string,
): Page<R> {
  const limit = validateLimit(options.limit);
  let start = options.continue ? firstAfter(sorted, key, decodeContinue(options.continue)) : 0;
  if (prefix) start = Math.max(start, firstAtOrAfter(sorted, key, prefix));
  const items: R[] = [];
  let last: T | undefined;
  for (let i = start; i < sorted.length; i++) {
    const item = sorted[i]!;
    if (prefix && !key(item).startsWith(prefix)) break;
    if (!keep(item)) continue;
    if (limit > 0 && items.length === limit) return { items, continue: encodeContinue(key(last!)) };
    items.push(convert(item));
    last = item;
  }
  return { items };
}
