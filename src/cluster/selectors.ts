/**
 * Label and field selectors with the grammar of the Kubernetes API server, so that the
 * simulator filters exactly what a real cluster would and rejects what it would reject.
 */
import { invalidArgument } from '../core/errors.js';

export type Labels = Readonly<Record<string, string>>;

type LabelRequirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key) || key.length > 317) {
    throw invalidArgument(`labelSelector "${selector}": invalid label key "${key}"`);
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw invalidArgument(`labelSelector "${selector}": invalid label value "${value}"`);
  }
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim());
}

function parseRequirement(part: string, selector: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
  if (set) {
    const values = set[3]!.split(',').map((v) => checkValue(v.trim(), selector));
    return { op: set[2] as 'in' | 'notin', key: checkKey(set[1]!, selector), values };
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (eq) {
    const op = eq[2] === '!=' ? 'neq' : 'eq';
    return { op, key: checkKey(eq[1]!, selector), value: checkValue(eq[3]!, selector) };
  }
  if (part.startsWith('!'))
    return { op: 'notexists', key: checkKey(part.slice(1).trim(), selector) };
  if (/^\S+$/.test(part)) return { op: 'exists', key: checkKey(part, selector) };
  throw invalidArgument(`labelSelector "${selector}": cannot parse "${part}"`);
}

export type LabelPredicate = (labels: Labels | undefined) => boolean;

export function parseLabelSelector(selector: string | undefined): LabelPredicate {
  if (selector === undefined || selector.trim() === '') return () => true;
  const reqs = splitTopLevel(selector).map((part) => {
    if (part === '') throw invalidArgument(`labelSelector "${selector}": empty requirement`);
    return parseRequirement(part, selector);
  });
  return (labels) => {
    const l = labels ?? {};
    for (const r of reqs) {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      const v = l[r.key];
      switch (r.op) {
        case 'eq':
          if (v !== r.value) return false;
          break;
        case 'neq':
          if (v === r.value) return false;
          break;
        case 'in':
          if (!has || !r.values.includes(v!)) return false;
          break;
        case 'notin':
          if (has && r.values.includes(v!)) return false;
          break;
        case 'exists':
          if (!has) return false;
          break;
        case 'notexists':
          if (has) return false;
          break;
      }
    }
    return true;
  };
}

/** A label selector string from matchLabels, the form Deployments and PDBs carry. */
export function selectorFromMatchLabels(matchLabels: Labels | undefined): string {
  return Object.entries(matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

/**
 * Parses a field selector, accepting only the fields the kind supports (the API server
 * answers 400 "field label not supported" for the others).
 */
export function parseFieldSelector(
  selector: string | undefined,
  supported: readonly string[],
): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  return selector.split(',').map((raw) => {
    const part = raw.trim();
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw invalidArgument(`fieldSelector "${selector}": cannot parse "${part}"`);
    const field = m[1]!;
    if (!supported.includes(field)) {
      throw invalidArgument(`fieldSelector "${selector}": field label not supported: ${field}`);
    }
    return { field, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]!.trim() };
  });
}

export function matchesFields(
  reqs: readonly FieldRequirement[],
  get: (field: string) => string,
): boolean {
  for (const r of reqs) {
    const v = get(r.field);
    if (r.op === 'eq' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** Checks a label key and value the way the API server validates metadata.labels. */
export function validateLabel(key: string, value: string): void {
  if (!KEY.test(key) || key.length > 317) throw invalidArgument(`invalid label key "${key}"`);
  if (!VALUE.test(value) || value.length > 63)
    throw invalidArgument(`invalid value "${value}" for label "${key}"`);
}
