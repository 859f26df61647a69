/** `qpilot trace import` and `qpilot trace info`. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { TRACE_FORMATS, type TraceFormat } from '../traces/importers.js';
import { loadTraceFile, traceNameFromPath } from '../traces/files.js';
import type { CliIo } from './io.js';
import { formatTable } from './table.js';

export interface ImportFlags {
  out?: string;
  outDir?: string;
  peakRps?: string;
  format?: string;
  column?: 'cpu' | 'memory';
}

function parsePeak(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw invalidArgument(`--peak-rps must be a number greater than 0, got "${text}"`);
  return n;
}

export async function importTraces(files: string[], flags: ImportFlags, io: CliIo): Promise<void> {
  const format = (flags.format ?? 'auto') as TraceFormat;
  if (!TRACE_FORMATS.includes(format))
    throw invalidArgument(
      `--format must be one of ${TRACE_FORMATS.join(', ')}, got "${flags.format}"`,
    );
  const column: string | undefined = flags.column;
  if (column !== undefined && column !== 'cpu' && column !== 'memory') {
    throw invalidArgument(`--column must be cpu or memory, got "${column}"`);
  }
  if (flags.out && files.length > 1)
    throw invalidArgument('--out takes one input file; use --out-dir for several');
  const peakRps = parsePeak(flags.peakRps);
  if (flags.outDir) await mkdir(resolve(io.cwd, flags.outDir), { recursive: true });
  for (const file of files) {
    const trace = await loadTraceFile(resolve(io.cwd, file), {
      format,
      peakRps,
      column: flags.column,
    });
    const csv = trace.toCsv();
    const target = flags.out
      ? resolve(io.cwd, flags.out)
      : flags.outDir
        ? join(resolve(io.cwd, flags.outDir), `${traceNameFromPath(file)}.csv`)
        : undefined;
    if (target) {
      await writeFile(target, csv);
      io.stderr(
        `${file} -> ${target}: ${trace.length} points, ${fmtDuration(trace.durationSec)}, peak ${trace.peakRps.toFixed(2)} rps\n`,
      );
    } else {
      io.stdout(csv);
    }
  }
}

function fmtDuration(sec: number): string {
  if (sec >= 86_400) return `${(sec / 86_400).toFixed(1)} days`;
  if (sec >= 3600) return `${(sec / 3600).toFixed(1)} hours`;
  return `${Math.round(sec)} s`;
}

export async function traceInfo(files: string[], io: CliIo): Promise<void> {
  const rows: string[][] = [];
  for (const file of files) {
    const t = await loadTraceFile(resolve(io.cwd, file));
    rows.push([
      traceNameFromPath(file),
      String(t.length),
      `${t.stepSec} s`,
      fmtDuration(t.durationSec),
      t.meanRps.toFixed(2),
      t.peakRps.toFixed(2),
    ]);
  }
  io.stdout(formatTable(['TRACE', 'POINTS', 'STEP', 'DURATION', 'MEAN RPS', 'PEAK RPS'], rows));
}
