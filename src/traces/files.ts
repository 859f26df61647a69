/** Reading trace files from disk, and the traces bundled with qpilot. */
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QpError } from '../core/errors.js';
import { type ImportOptions, parseTrace } from './importers.js';
import type { Trace } from './trace.js';

/** The canonical traces shipped in the package's traces/ folder. */
export const BUNDLED_TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'traces');

export function traceNameFromPath(path: string): string {
  return basename(path, extname(path));
}

export async function loadTraceFile(path: string, options: Partial<ImportOptions> = {}): Promise<Trace> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new QpError(code === 'ENOENT' ? 'QP_ERR_NOT_FOUND' : 'QP_ERR_INVALID_ARGUMENT', `cannot read trace ${path}: ${code ?? String(err)}`);
  }
  return parseTrace(text, path, { name: options.name ?? traceNameFromPath(path), ...options });
}

export function loadBundledTrace(name: string): Promise<Trace> {
  return loadTraceFile(join(BUNDLED_TRACES_DIR, `${name}.csv`), { name, format: 'canonical' });
}
