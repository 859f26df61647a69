import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isQpError } from '../core/errors.js';
import type { CliIo } from './io.js';
import { parseDuration, policySpecs, runEvaluation } from './evaluateCommand.js';

const ROOT = join(import.meta.dirname, '..', '..');

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    env: {},
    cwd: ROOT,
  };
  return { cli, out: () => out.join(''), err: () => err.join('') };
}

interface JsonOut {
  traces: {
    trace: string;
    results: {
      policy: string;
      config: Record<string, unknown>;
      costCoreHours: number;
      sloViolationPct: number;
      p95LatencyMs: number;
      droppedPct: number;
      scalingActions: number;
      costVsOracle?: number;
    }[];
  }[];
}

describe('qpilot evaluate', () => {
  it("prints EVALUATION.md's JSON object for each trace and policy", async () => {
    const t = io();
    await runEvaluation(
      {
        trace: ['worldcup98'],
        policy: 'hpa,static:2,oracle',
        duration: '6h',
        peakRps: '600',
        json: true,
      },
      t.cli,
    );
    const out = JSON.parse(t.out()) as JsonOut;
    expect(out.traces).toHaveLength(1);
    const [trace] = out.traces;
    expect(trace!.trace).toBe('worldcup98');
    expect(trace!.results.map((r) => r.policy)).toEqual(['hpa', 'static-2', 'oracle']);
    const [hpa, fixed, oracle] = trace!.results;
    expect(hpa!.config).toEqual({ targetCpuUtilization: 70 });
    expect(fixed!.config).toEqual({ replicas: 2 });
    for (const r of trace!.results) {
      expect(r.costCoreHours).toBeGreaterThan(0);
      expect(r.sloViolationPct).toBeGreaterThanOrEqual(0);
      expect(r.sloViolationPct).toBeLessThanOrEqual(100);
      expect(Number.isInteger(r.scalingActions)).toBe(true);
    }
    // Two pods of 500m for six hours: six core-hours, set once at the start.
    expect(fixed!.costCoreHours).toBeCloseTo(6, 1);
    expect(fixed!.scalingActions).toBeLessThanOrEqual(1);
    // The oracle is the floor: no online policy meeting the SLO is cheaper.
    expect(oracle!.costCoreHours).toBeLessThanOrEqual(hpa!.costCoreHours);
    expect(oracle!.sloViolationPct).toBe(0);
    expect(hpa!.costVsOracle).toBeCloseTo(hpa!.costCoreHours / oracle!.costCoreHours, 2);
  });

  it('evaluates a window of a trace, rescaled to the peak asked for', async () => {
    const t = io();
    const flags = { trace: ['worldcup98'], policy: 'hpa', duration: '2h', json: true };
    await runEvaluation({ ...flags, start: '60d' }, t.cli);
    const late = (JSON.parse(t.out()) as JsonOut).traces[0]!.results[0]!;
    const early = io();
    await runEvaluation(flags, early.cli);
    const first = (JSON.parse(early.out()) as JsonOut).traces[0]!.results[0]!;
    expect(late.costCoreHours).not.toBe(first.costCoreHours);
    expect(late.costCoreHours).toBeGreaterThan(0);
  });

  it('sweeps HPA targets, draws a plot and prints a table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-eval-'));
    const t = io();
    await runEvaluation(
      {
        trace: ['reddit-2015-03'],
        policy: 'hpa',
        hpaSweep: '50:90:10',
        duration: '3h',
        plot: join(dir, 'out.svg'),
      },
      t.cli,
    );
    const lines = t.out().trim().split('\n');
    expect(lines[0]).toBe('trace reddit-2015-03');
    expect(lines[1]).toMatch(/^POLICY\s+COST \(core-h\)/);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual([
      'hpa',
      'hpa-50',
      'hpa-60',
      'hpa-80',
      'hpa-90',
    ]);
    // A higher target buys fewer cores.
    const cost = (i: number) => Number(lines[2 + i]!.split(/\s+/)[1]);
    expect(cost(1)).toBeGreaterThan(cost(0));
    expect(cost(4)).toBeLessThan(cost(0));
    const svg = readFileSync(join(dir, 'out.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('hpa-90');
  });

  it('reads a trace file and names what is wrong with bad options', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-eval-'));
    const file = join(dir, 'flat.csv');
    writeFileSync(
      file,
      't,rps\n' + Array.from({ length: 61 }, (_, i) => `${i * 60},100`).join('\n'),
    );
    const t = io();
    await runEvaluation({ trace: [file], policy: 'hpa:50', json: true }, t.cli);
    const out = JSON.parse(t.out()) as JsonOut;
    expect(out.traces[0]!.trace).toBe('flat');
    expect(out.traces[0]!.results[0]!.config).toEqual({ targetCpuUtilization: 50 });

    const failure = async (flags: Parameters<typeof runEvaluation>[0]) => {
      try {
        await runEvaluation(flags, io().cli);
      } catch (e) {
        if (isQpError(e)) return e.message;
        throw e;
      }
      throw new Error('expected a failure');
    };
    expect(await failure({ trace: [file], peakRps: 'lots' })).toMatch(/--peak-rps/);
    expect(await failure({ trace: [file], policy: 'magic' })).toMatch(/magic/);
    expect(await failure({ trace: [file], duration: 'a week' })).toMatch(/--duration/);
    expect(await failure({ trace: [file], policy: 'hpa', start: '2h' })).toMatch(
      /--start 2h is past the end of flat/,
    );
    expect(await failure({ trace: [file], start: 'soon' })).toMatch(/--start must look like/);
    expect(await failure({ trace: [join(dir, 'missing.csv')], policy: 'hpa' })).toMatch(
      /missing\.csv/,
    );
    expect(await failure({ trace: [file], policy: 'dqn', model: join(dir, 'nope') })).toMatch(
      /nope/,
    );
  });
});

describe('qpilot evaluate on workload profiles', () => {
  it('runs each profile with several seeds and labels results with the profile and its knee', async () => {
    const t = io();
    await runEvaluation(
      {
        trace: ['reddit-2015-03'],
        policy: 'hpa:60,hpa:80,static:3',
        workload: ['default', 'tight-slo'],
        seeds: '1,2',
        start: '12d',
        duration: '2h',
        peakRps: '300',
        json: true,
      },
      t.cli,
    );
    const out = JSON.parse(t.out()) as {
      traces: {
        workload: string;
        kneeUtilization: number;
        verdicts: { policy: string; outcome: string; text: string }[];
        results: (JsonOut['traces'][number]['results'][number] & {
          seeds?: { seed: string }[];
          worstSloViolationPct?: number;
        })[];
      }[];
    };
    expect(out.traces.map((x) => x.workload)).toEqual(['default', 'tight-slo']);
    const [home, tight] = out.traces;
    expect(home!.kneeUtilization).toBeCloseTo(0.834, 2);
    expect(tight!.kneeUtilization).toBeCloseTo(0.5, 2);
    for (const r of home!.results) {
      expect(r.seeds!.map((s) => s.seed)).toEqual(['1', '2']);
      expect(r.worstSloViolationPct).toBeGreaterThanOrEqual(r.sloViolationPct);
    }
    // Where latency breaks at 50 % CPU, an HPA at 80 % (and 60 %) violates the SLO: the same
    // policy that keeps the home workload's SLO misses this one's.
    const at = (x: (typeof out.traces)[number], p: string) =>
      x.results.find((r) => r.policy === p)!;
    expect(at(home!, 'hpa-80').sloViolationPct).toBeLessThan(at(tight!, 'hpa-80').sloViolationPct);
    expect(at(tight!, 'hpa-80').sloViolationPct).toBeGreaterThan(50);
    // The verdicts judge learned policies only: none ran here.
    expect(tight!.verdicts).toEqual([]);
  });

  it('names what is wrong with a profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qpilot-profile-'));
    const failure = async (profile: unknown) => {
      const file = join(dir, 'p.json');
      writeFileSync(file, JSON.stringify(profile));
      try {
        await runEvaluation({ trace: ['worldcup98'], policy: 'hpa', workload: [file] }, io().cli);
      } catch (e) {
        if (isQpError(e)) return e.message;
        throw e;
      }
      throw new Error('expected a failure');
    };
    const good = JSON.parse(readFileSync(join(ROOT, 'profiles', 'default.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(await failure({ ...good, cpu: 'lots' })).toMatch(/workload profile p: .*lots/);
    expect(await failure({ ...good, sloLatencyMs: 15 })).toMatch(/cannot meet a p95 of 15 ms/);
    expect(await failure({ ...good, colour: 'blue' })).toMatch(/unknown field "colour"/);
    const { startupDelayMs: _s, ...missing } = good;
    expect(await failure(missing)).toMatch(/missing field "startupDelayMs"/);
    await expect(
      runEvaluation({ trace: ['worldcup98'], policy: 'hpa', workload: ['nosuch'] }, io().cli),
    ).rejects.toThrow(/no bundled workload profile "nosuch" \(bundled: default, /);
  });
});

describe('evaluate options', () => {
  it('parses durations with units', () => {
    expect(parseDuration('7d')).toBe(7 * 86_400);
    expect(parseDuration('12h')).toBe(12 * 3600);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('3600')).toBe(3600);
    expect(() => parseDuration('-1d')).toThrow(/--duration/);
  });

  it('adds the sweep without repeating a target that was asked for', () => {
    const specs = policySpecs({ policy: 'hpa:80,oracle', hpaSweep: '50:90:10' });
    expect(specs.map((s) => `${s.name}${s.arg ? ':' + s.arg : ''}`)).toEqual([
      'hpa:80',
      'oracle',
      'hpa:50',
      'hpa:60',
      'hpa:70',
      'hpa:90',
    ]);
    // The default grid is an expert's: every 2 points from 20 % to 92 %.
    const fine = policySpecs({ policy: 'oracle', hpaSweep: true }).slice(1);
    expect(fine).toHaveLength(37);
    expect(fine[0]).toEqual({ name: 'hpa', arg: '20' });
    expect(fine[36]).toEqual({ name: 'hpa', arg: '92' });
    expect(() => policySpecs({ policy: 'hpa', hpaSweep: '90:50:10' })).toThrow(/--hpa-sweep/);
    expect(() => policySpecs({ policy: 'hpa', hpaSweep: '0x10:90:1' })).toThrow(/--hpa-sweep/);
  });
});
