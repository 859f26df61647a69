/**
 * `qpilot evaluate`: every policy through the same simulator over each trace, with the figures
 * of EVALUATION.md as a table or its JSON object, and optionally an SVG plot per trace.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { type EvalRun, evaluate } from '../eval/evaluator.js';
import { plotSvg } from '../eval/plot.js';
import { type ResultRow, type TraceResults, finishResults, formatTable } from '../eval/report.js';
import { ModelCache } from '../policies/models.js';
import {
  type PolicySpec,
  createPolicy,
  decidesWhileRollingOut,
  parsePolicySpec,
  policyKind,
  policyLabel,
} from '../policies/registry.js';
import { BUNDLED_TRACES_DIR, loadTraceFile, traceNameFromPath } from '../traces/files.js';
import type { Trace } from '../traces/trace.js';
import type { CliIo } from './io.js';

export interface EvaluateFlags {
  trace: string[];
  policy?: string;
  hpaSweep?: boolean;
  json?: boolean;
  plot?: string;
  peakRps?: string;
  duration?: string;
  start?: string;
  seed?: string;
  model?: string;
  verticalModel?: string;
}

/** "7d", "12h", "90m", "3600s" or plain seconds. */
export function parseDuration(text: string, flag = '--duration'): number {
  const m = /^(\d+(?:\.\d+)?)(d|h|m|s)?$/.exec(text.trim());
  if (!m) throw invalidArgument(`${flag} must look like 7d, 12h, 90m or 3600, got "${text}"`);
  const scale = { d: 86_400, h: 3600, m: 60, s: 1 }[(m[2] ?? 's') as 'd' | 'h' | 'm' | 's'];
  return Number(m[1]) * scale;
}

export async function resolveTrace(ref: string, cwd: string): Promise<Trace> {
  const bundled = join(BUNDLED_TRACES_DIR, `${ref}.csv`);
  if (!ref.includes('/') && !ref.endsWith('.csv') && existsSync(bundled))
    return loadTraceFile(bundled, { name: ref, format: 'canonical' });
  return loadTraceFile(resolve(cwd, ref), { name: traceNameFromPath(ref) });
}

export function policySpecs(flags: Pick<EvaluateFlags, 'policy' | 'hpaSweep'>): PolicySpec[] {
  const specs = (flags.policy ?? 'hpa,dqn,oracle')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(parsePolicySpec);
  if (flags.hpaSweep) {
    for (const target of [50, 60, 70, 80, 90]) {
      if (!specs.some((s) => s.name === 'hpa' && Number(s.arg ?? 70) === target))
        specs.push({ name: 'hpa', arg: String(target) });
    }
  }
  if (specs.length === 0) throw invalidArgument('--policy names no policy');
  return specs;
}

function configOf(spec: PolicySpec): Record<string, unknown> {
  switch (spec.name) {
    case 'hpa':
      return { targetCpuUtilization: Number(spec.arg ?? 70) };
    case 'static':
      return { replicas: Number(spec.arg) };
    case 'dqn':
    case 'dqn-vertical':
      return spec.arg ? { model: spec.arg } : {};
    default:
      return {};
  }
}

export async function runEvaluation(flags: EvaluateFlags, io: CliIo): Promise<void> {
  if (!flags.trace || flags.trace.length === 0) throw invalidArgument('--trace names no trace');
  const specs = policySpecs(flags);
  const peakRps = flags.peakRps === undefined ? 2000 : Number(flags.peakRps);
  if (!(peakRps > 0))
    throw invalidArgument(`--peak-rps must be a number greater than 0, got "${flags.peakRps}"`);
  const durationSec = flags.duration === undefined ? undefined : parseDuration(flags.duration);
  const startSec = flags.start === undefined ? 0 : parseDuration(flags.start, '--start');
  const models = new ModelCache({ dqn: flags.model, 'dqn-vertical': flags.verticalModel });
  // Load learned models before the first simulation, so that a bad one fails at once.
  for (const s of specs)
    if (s.name === 'dqn' || s.name === 'dqn-vertical') await models.load(s.name, s.arg);
  const traces: TraceResults[] = [];
  for (const ref of flags.trace) {
    const whole = await resolveTrace(ref, io.cwd);
    if (startSec >= whole.durationSec)
      throw invalidArgument(
        `--start ${flags.start} is past the end of ${whole.name} (${Math.round(whole.durationSec / 86_400)} days)`,
      );
    const trace = startSec > 0 ? whole.window(startSec, whole.durationSec - startSec) : whole;
    const results: ResultRow[] = [];
    const plotted: { policy: string; series: NonNullable<EvalRun['series']> }[] = [];
    for (const spec of specs) {
      const label = policyLabel(spec);
      io.stderr(`evaluating ${label} on ${trace.name}\n`);
      const kind = policyKind(spec);
      const run = await evaluate(
        (ctx) =>
          createPolicy(spec, {
            loadModel: (p, d) => models.load(p, d),
            oracle: { forecast: () => ctx.oracleForecast(), model: ctx.oracleModel },
          }),
        {
          trace,
          peakRps,
          durationSec,
          seed: flags.seed ?? 1,
          kind,
          seriesPoints: flags.plot ? 2000 : 0,
          skipInFlight: !decidesWhileRollingOut(spec),
        },
      );
      results.push({ ...run, policy: label, config: configOf(spec) });
      if (run.series) plotted.push({ policy: label, series: run.series });
    }
    traces.push({ trace: trace.name, results });
    if (flags.plot) {
      const file =
        flags.trace.length === 1
          ? flags.plot
          : flags.plot.replace(/(\.svg)?$/, `-${trace.name}.svg`);
      await writeFile(resolve(io.cwd, file), plotSvg(trace.name, plotted, 200));
      io.stderr(`wrote ${file}\n`);
    }
  }
  const out = finishResults(traces);
  io.stdout(flags.json ? JSON.stringify(out) + '\n' : formatTable(out));
}
