import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceFormatError, parseTrace } from './importers.js';
import { loadTraceFile } from './files.js';

const RAW = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'traces-raw');

function rawFiles(): string[] {
  const files = ['worldcup98-per-minute.csv'];
  for (const dir of ['reddit-2015', 'azure-vm-2019']) {
    for (const f of readdirSync(join(RAW, dir))) files.push(join(dir, f));
  }
  return files.map((f) => join(RAW, f));
}

function parseError(text: string, options: Parameters<typeof parseTrace>[2] = { name: 'x' }): TraceFormatError {
  try {
    parseTrace(text, 'bad.csv', options);
  } catch (err) {
    if (err instanceof TraceFormatError) return err;
    throw err;
  }
  throw new Error('expected a TraceFormatError');
}

describe('importing the published traces', () => {
  it('finds all 15 files of ../shared/traces', () => {
    expect(rawFiles()).toHaveLength(15);
  });

  it.each(rawFiles().map((f) => [f.slice(RAW.length + 1), f]))('imports %s', async (_name, file) => {
    const trace = await loadTraceFile(file, { peakRps: 1000 });
    expect(trace.length).toBeGreaterThan(600);
    expect(trace.peakRps).toBeCloseTo(1000, 6);
    expect(trace.tSec[0]).toBe(0);
    expect([60, 300, 3600]).toContain(trace.stepSec);
    for (const r of trace.rps) expect(r).toBeGreaterThanOrEqual(0);
  });

  it('turns per-minute counts into requests per second', async () => {
    const trace = await loadTraceFile(join(RAW, 'worldcup98-per-minute.csv'));
    expect(trace.stepSec).toBe(60);
    // 1998-04-30 21:30:00,2 then 21:31:00,11
    expect(trace.rps[0]).toBeCloseTo(2 / 60, 9);
    expect(trace.rps[1]).toBeCloseTo(11 / 60, 9);
    expect(trace.tSec[1]).toBe(60);
  });

  it('turns hourly counts into requests per second', async () => {
    const trace = await loadTraceFile(join(RAW, 'reddit-2015', 'LoadReddit-60minutes-2015-01.csv'));
    expect(trace.stepSec).toBe(3600);
    expect(trace.rps[0]).toBeCloseTo(71963 / 3600, 9);
  });

  it('reads the azure cpu column by default and memory on request, starting at t = 0', async () => {
    const file = join(RAW, 'azure-vm-2019', 'vm_cpu_readings_week2_aggregated_cpu_mem.csv');
    const cpu = await loadTraceFile(file);
    const mem = await loadTraceFile(file, { column: 'memory' });
    expect(cpu.tSec[0]).toBe(0);
    expect(cpu.tSec[1]).toBe(300);
    expect(cpu.rps[0]).toBeCloseTo(6415038.408013518, 6);
    expect(mem.rps[0]).toBe(2002296);
  });

  it('round-trips through the canonical format', () => {
    const a = parseTrace('period,count\n2020-01-01 00:00:00,60\n2020-01-01 00:01:00,120\n', 'a.csv', { name: 'a' });
    const b = parseTrace(a.toCsv(), 'b.csv', { name: 'b' });
    expect(Array.from(b.rps)).toEqual([1, 2]);
    expect(Array.from(b.tSec)).toEqual([0, 60]);
  });
});

describe('malformed traces', () => {
  it('names the line and column of a non-number', () => {
    const err = parseError('t,rps\n0,1\n60,abc\n');
    expect(err.message).toBe('bad.csv:3:4: expected a number for "rps", got "abc"');
    expect([err.line, err.column]).toEqual([3, 4]);
  });

  it('names a bad timestamp', () => {
    const err = parseError('period,count\n1998-04-30 21:30:00,2\n1998-04-31 21:31:00,3\n');
    expect(err.message).toMatch(/^bad.csv:3:1: "1998-04-31 21:31:00" is not a valid date/);
  });

  it('names a missing field and an extra field', () => {
    expect(parseError('t,rps\n0\n').message).toMatch(/^bad.csv:2:2: missing field "rps"/);
    expect(parseError('t,rps\n0,1,2\n').message).toMatch(/^bad.csv:2:5: expected 2 fields, found 3/);
  });

  it('rejects times that go backwards, negative rates, empty and unknown files', () => {
    expect(parseError('t,rps\n0,1\n60,1\n30,1\n').message).toMatch(/^bad.csv:4:1: time does not increase/);
    expect(parseError('t,rps\n0,-1\n').message).toMatch(/^bad.csv:2:3: "rps" must not be negative/);
    expect(parseError('').message).toMatch(/empty/);
    expect(parseError('t,rps\n').message).toMatch(/no data rows/);
    expect(parseError('hello world\nfoo\n').message).toMatch(/^bad.csv:1:1: unknown trace format/);
  });

  it('refuses to rescale an all-zero trace', () => {
    expect(parseError('t,rps\n0,0\n60,0\n', { name: 'z', peakRps: 10 }).message).toMatch(/every value is 0/);
  });

  it('reports a missing file as not found', async () => {
    await expect(loadTraceFile('/nonexistent/trace.csv')).rejects.toMatchObject({ code: 'QP_ERR_NOT_FOUND' });
  });
});
