/**
 * Turns the published trace formats into the canonical `t,rps` trace:
 * - `canonical`: header `t,rps`;
 * - `counts`: a header, then `timestamp,count` rows (per-minute or hourly counts, as the
 *   WorldCup98 and Reddit files are); rps = count / step, timestamps read as UTC;
 * - `azure`: no header, `seconds,cpu,memory` rows (the Azure VM trace); the chosen column is
 *   the load signal, to be rescaled with a peak.
 * A malformed file fails with the line and column of the first bad field.
 */
import { QpError } from '../core/errors.js';
import { Trace } from './trace.js';

export type TraceFormat = 'auto' | 'canonical' | 'counts' | 'azure';
export const TRACE_FORMATS: readonly TraceFormat[] = ['auto', 'canonical', 'counts', 'azure'];

export interface ImportOptions {
  name: string;
  format?: TraceFormat;
  /** Rescale so that the highest rate is this many requests per second. */
  peakRps?: number;
  /** For the azure format: which column carries the load. */
  column?: 'cpu' | 'memory';
}

export class TraceFormatError extends QpError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super('QP_ERR_INVALID_ARGUMENT', `${file}:${line}:${column}: ${reason}`, { file, line, column });
    this.name = 'TraceFormatError';
  }
}

interface Row {
  line: number;
  fields: { text: string; column: number }[];
}

function splitRows(text: string): Row[] {
  const rows: Row[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '') continue;
    const fields: Row['fields'] = [];
    let column = 1;
    for (const part of raw.split(',')) {
      fields.push({ text: part, column });
      column += part.length + 1;
    }
    rows.push({ line: i + 1, fields });
  }
  return rows;
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const TIMESTAMP = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*$/;

function detect(rows: Row[], file: string): Exclude<TraceFormat, 'auto'> {
  const first = rows[0];
  if (!first) throw new TraceFormatError(file, 1, 1, 'the file is empty');
  const cells = first.fields.map((f) => f.text.trim().toLowerCase());
  if (cells[0] === 't' && cells[1] === 'rps') return 'canonical';
  if (first.fields.every((f) => NUMBER.test(f.text))) {
    if (first.fields.length >= 2) return 'azure';
  }
  const second = rows[1];
  if (second && TIMESTAMP.test(second.fields[0]?.text ?? '')) return 'counts';
  throw new TraceFormatError(
    file,
    first.line,
    1,
    'unknown trace format: expected a "t,rps" header, a "timestamp,count" header, or headerless "seconds,cpu,memory" rows',
  );
}

function field(row: Row, index: number, file: string, name: string): { text: string; column: number } {
  const f = row.fields[index];
  if (!f) {
    const last = row.fields[row.fields.length - 1]!;
    throw new TraceFormatError(file, row.line, last.column + last.text.length, `missing field "${name}" (column ${index + 1})`);
  }
  return f;
}

function numberAt(row: Row, index: number, file: string, name: string): number {
  const f = field(row, index, file, name);
  if (!NUMBER.test(f.text)) throw new TraceFormatError(file, row.line, f.column, `expected a number for "${name}", got "${f.text.trim()}"`);
  const value = Number(f.text);
  if (value < 0) throw new TraceFormatError(file, row.line, f.column, `"${name}" must not be negative, got ${value}`);
  return value;
}

function timestampAt(row: Row, file: string): number {
  const f = field(row, 0, file, 'timestamp');
  const m = TIMESTAMP.exec(f.text);
  if (!m) throw new TraceFormatError(file, row.line, f.column, `expected a timestamp like "1998-04-30 21:30:00", got "${f.text.trim()}"`);
  const [, y, mo, d, h, mi, s] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  const back = new Date(ms);
  if (back.getUTCDate() !== Number(d) || back.getUTCMonth() !== Number(mo) - 1 || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) {
    throw new TraceFormatError(file, row.line, f.column, `"${f.text.trim()}" is not a valid date and time`);
  }
  return ms / 1000;
}

function checkIncreasing(times: number[], rows: Row[], file: string): void {
  for (let i = 1; i < times.length; i++) {
    if (!(times[i]! > times[i - 1]!)) {
      const row = rows[i]!;
      throw new TraceFormatError(file, row.line, 1, `time does not increase (previous row is at line ${rows[i - 1]!.line})`);
    }
  }
}

function checkFieldCount(row: Row, expected: number, file: string): void {
  if (row.fields.length > expected) {
    const extra = row.fields[expected]!;
    throw new TraceFormatError(file, row.line, extra.column, `expected ${expected} fields, found ${row.fields.length}`);
  }
}

interface Columns {
  data: Row[];
  times: number[];
  rates: number[];
}

/** Reads each format's rows into times and values, checking every field. */
const READERS: Record<Exclude<TraceFormat, 'auto'>, (rows: Row[], file: string, options: ImportOptions) => Columns> = {
  canonical(rows, file) {
    const header = rows[0];
    if (!header || header.fields[0]?.text.trim() !== 't' || header.fields[1]?.text.trim() !== 'rps') {
      throw new TraceFormatError(file, header?.line ?? 1, 1, 'expected the header "t,rps"');
    }
    const data = rows.slice(1);
    for (const row of data) checkFieldCount(row, 2, file);
    return { data, times: data.map((r) => numberAt(r, 0, file, 't')), rates: data.map((r) => numberAt(r, 1, file, 'rps')) };
  },
  counts(rows, file) {
    const data = rows.slice(1);
    for (const row of data) checkFieldCount(row, 2, file);
    return { data, times: data.map((r) => timestampAt(r, file)), rates: data.map((r) => numberAt(r, 1, file, 'count')) };
  },
  azure(rows, file, options) {
    const col = options.column === 'memory' ? 2 : 1;
    const name = options.column ?? 'cpu';
    for (const row of rows) checkFieldCount(row, 3, file);
    return { data: rows, times: rows.map((r) => numberAt(r, 0, file, 'seconds')), rates: rows.map((r) => numberAt(r, col, file, name)) };
  },
};

export function parseTrace(text: string, file: string, options: ImportOptions): Trace {
  const rows = splitRows(text);
  const format = options.format && options.format !== 'auto' ? options.format : detect(rows, file);
  const { data, times, rates } = READERS[format](rows, file, options);
  if (times.length === 0) throw new TraceFormatError(file, (rows[0]?.line ?? 0) + 1, 1, 'the trace has no data rows');
  checkIncreasing(times, data, file);
  const t0 = times[0]!;
  const tSec = Float64Array.from(times, (t) => t - t0);
  let trace = new Trace(options.name, tSec, Float64Array.from(rates));
  if (format === 'counts') {
    // Counts per step become a rate.
    trace = new Trace(options.name, tSec, Float64Array.from(rates, (c) => c / trace.stepSec));
  }
  if (options.peakRps !== undefined) {
    if (trace.peakRps === 0) throw new TraceFormatError(file, data[0]!.line, 1, 'cannot rescale a trace whose every value is 0');
    trace = trace.scaledToPeak(options.peakRps);
  }
  return trace;
}
