/**
 * `qpilot evaluate`: every policy through the same simulator over each trace, with the figures
 * of EVALUATION.md as a table or its JSON object, and optionally an SVG plot per trace.
 */
import { writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { invalidArgument } from '../core/errors.js';
import { type EvalFigures, type EvalOptions, type EvalRun, evaluate } from '../eval/evaluator.js';
import { plotSvg } from '../eval/plot.js';
import {
  type ResultRow,
  type SeedFigures,
  type TraceResults,
  combineSeeds,
  finishResults,
  formatTable,
} from '../eval/report.js';
import { type WorkloadProfile, loadWorkloadProfile } from '../eval/workloadProfile.js';
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
  /** true for the default grid, or FROM:TO:STEP in percent. */
  hpaSweep?: boolean | string;
  /** Workload profiles: bundled names or JSON files. */
  workload?: string[];
  /** Several seeds, comma-separated: each policy runs once per seed. */
  seeds?: string;
  /** The share of intervals, in %, a policy may violate and still meet the SLO (verdicts). */
  sloTarget?: string;
  /** false: policies see neither the workload's latency nor its SLO (--no-latency-signal). */
  latencySignal?: boolean;
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

/** The grid an expert would calibrate an HPA on: every 2 points from 20 % to 92 %. */
export const DEFAULT_HPA_SWEEP = '20:92:2';

/** HPA targets of a sweep, "FROM:TO:STEP" in percent. */
export function sweepTargets(grid: string): number[] {
  const m = /^(\d+):(\d+):(\d+)$/.exec(grid.trim());
  const [from, to, step] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  if (!m || !(from >= 1) || !(to >= from) || !(step >= 1) || to > 100)
    throw invalidArgument(
      `--hpa-sweep must be FROM:TO:STEP in percent, 1 <= FROM <= TO <= 100 and STEP >= 1 (e.g. ${DEFAULT_HPA_SWEEP}), got "${grid}"`,
    );
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
}

export function policySpecs(flags: Pick<EvaluateFlags, 'policy' | 'hpaSweep'>): PolicySpec[] {
  const specs = (flags.policy ?? 'hpa,dqn,oracle')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map(parsePolicySpec);
  if (flags.hpaSweep) {
    const grid = flags.hpaSweep === true ? DEFAULT_HPA_SWEEP : flags.hpaSweep;
    for (const target of sweepTargets(grid)) {
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

/** One policy over one trace, one seed, as every policy is run. */
function evaluateOne(
  spec: PolicySpec,
  models: ModelCache,
  options: Omit<EvalOptions, 'skipInFlight'>,
): Promise<EvalRun> {
  return evaluate(
    (ctx) =>
      createPolicy(spec, {
        loadModel: (p, d) => models.load(p, d),
        oracle: { forecast: () => ctx.oracleForecast(), model: ctx.oracleModel },
      }),
    { ...options, kind: policyKind(spec), skipInFlight: !decidesWhileRollingOut(spec) },
  );
}

const figures = (run: EvalFigures): EvalFigures => ({
  costCoreHours: run.costCoreHours,
  sloViolationPct: run.sloViolationPct,
  p95LatencyMs: run.p95LatencyMs,
  droppedPct: run.droppedPct,
  scalingActions: run.scalingActions,
});

function parseSeeds(flags: Pick<EvaluateFlags, 'seed' | 'seeds'>): string[] {
  if (flags.seeds === undefined) return [flags.seed ?? '1'];
  const seeds = flags.seeds
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (seeds.length === 0) throw invalidArgument('--seeds names no seed');
  if (new Set(seeds).size !== seeds.length)
    throw invalidArgument(`--seeds repeats a seed: "${flags.seeds}"`);
  return seeds;
}

interface EvaluationPlan {
  specs: PolicySpec[];
  seeds: string[];
  sloTargetPct: number;
  profiles: WorkloadProfile[];
  /** Whether profiles were asked for (and results are labelled with them). */
  named: boolean;
  peakRps: number;
  durationSec?: number;
  startSec: number;
  latencySignal: boolean;
}

function evaluationPlan(flags: EvaluateFlags, io: CliIo): EvaluationPlan {
  if (!flags.trace || flags.trace.length === 0) throw invalidArgument('--trace names no trace');
  const sloTargetPct = flags.sloTarget === undefined ? 0.5 : Number(flags.sloTarget);
  if (!(sloTargetPct >= 0 && sloTargetPct <= 100))
    throw invalidArgument(
      `--slo-target must be a percentage from 0 to 100, got "${flags.sloTarget}"`,
    );
  const peakRps = flags.peakRps === undefined ? 2000 : Number(flags.peakRps);
  if (!(peakRps > 0))
    throw invalidArgument(`--peak-rps must be a number greater than 0, got "${flags.peakRps}"`);
  return {
    specs: policySpecs(flags),
    seeds: parseSeeds(flags),
    sloTargetPct,
    profiles: (flags.workload ?? ['default']).map((w) => loadWorkloadProfile(w, io.cwd)),
    named: flags.workload !== undefined,
    peakRps,
    ...(flags.duration !== undefined ? { durationSec: parseDuration(flags.duration) } : {}),
    startSec: flags.start === undefined ? 0 : parseDuration(flags.start, '--start'),
    latencySignal: flags.latencySignal !== false,
  };
}

async function traceWindow(
  ref: string,
  plan: EvaluationPlan,
  start: string | undefined,
  cwd: string,
) {
  const whole = await resolveTrace(ref, cwd);
  if (plan.startSec >= whole.durationSec)
    throw invalidArgument(
      `--start ${start} is past the end of ${whole.name} (${Math.round(whole.durationSec / 86_400)} days)`,
    );
  return plan.startSec > 0 ? whole.window(plan.startSec, whole.durationSec - plan.startSec) : whole;
}

type Plotted = { policy: string; series: NonNullable<EvalRun['series']> }[];

/** Every policy of the plan on one trace and profile, once per seed. */
async function evaluatePolicies(
  plan: EvaluationPlan,
  trace: Trace,
  profile: WorkloadProfile,
  models: ModelCache,
  io: CliIo,
  plot: boolean,
): Promise<{ results: ResultRow[]; plotted: Plotted }> {
  const results: ResultRow[] = [];
  const plotted: Plotted = [];
  for (const spec of plan.specs) {
    const label = policyLabel(spec);
    const runs: SeedFigures[] = [];
    for (const seed of plan.seeds) {
      io.stderr(
        `evaluating ${label} on ${trace.name}${plan.named ? ` (${profile.name})` : ''}${plan.seeds.length > 1 ? `, seed ${seed}` : ''}\n`,
      );
      const run = await evaluateOne(spec, models, {
        trace,
        peakRps: plan.peakRps,
        durationSec: plan.durationSec,
        seed,
        workload: profile.workload,
        latencySignal: plan.latencySignal,
        seriesPoints: plot && seed === plan.seeds[0] ? 2000 : 0,
      });
      runs.push({ seed, ...figures(run) });
      if (run.series) plotted.push({ policy: label, series: run.series });
    }
    results.push({ ...combineSeeds(runs), policy: label, config: configOf(spec) });
  }
  return { results, plotted };
}

export async function runEvaluation(flags: EvaluateFlags, io: CliIo): Promise<void> {
  const plan = evaluationPlan(flags, io);
  const models = new ModelCache({ dqn: flags.model, 'dqn-vertical': flags.verticalModel });
  // Load learned models before the first simulation, so that a bad one fails at once.
  for (const s of plan.specs)
    if (s.name === 'dqn' || s.name === 'dqn-vertical') await models.load(s.name, s.arg);
  const traces: TraceResults[] = [];
  for (const profile of plan.profiles)
    for (const ref of flags.trace) {
      const trace = await traceWindow(ref, plan, flags.start, io.cwd);
      const { results, plotted } = await evaluatePolicies(
        plan,
        trace,
        profile,
        models,
        io,
        !!flags.plot,
      );
      traces.push({
        trace: trace.name,
        ...(plan.named ? { workload: profile.name, kneeUtilization: profile.kneeUtilization } : {}),
        results,
      });
      if (!flags.plot) continue;
      const suffix = `${flags.trace.length > 1 ? `-${trace.name}` : ''}${plan.profiles.length > 1 ? `-${profile.name}` : ''}`;
      const file = suffix ? flags.plot.replace(/(\.svg)?$/, `${suffix}.svg`) : flags.plot;
      await writeFile(
        resolve(io.cwd, file),
        plotSvg(trace.name, plotted, profile.workload.model.sloLatencyMs ?? 200),
      );
      io.stderr(`wrote ${file}\n`);
    }
  const out = finishResults(traces, plan.sloTargetPct);
  io.stdout(flags.json ? JSON.stringify(out) + '\n' : formatTable(out));
}
