/**
 * The evaluation's output: EVALUATION.md's JSON object, or a readable table, with a verdict per
 * learned policy that compares it with the HPA an expert would have calibrated with hindsight.
 */
import type { EvalFigures } from './evaluator.js';

export interface SeedFigures extends EvalFigures {
  seed: string;
}

export interface ResultRow extends EvalFigures {
  policy: string;
  config: Record<string, unknown>;
  /** Cost over the oracle's on the same trace, when the oracle ran. */
  costVsOracle?: number;
  /** Per seed, when several ran; the row's figures are then their means. */
  seeds?: SeedFigures[];
  /** The worst seed's SLO violations: what the verdict holds a policy to. */
  worstSloViolationPct?: number;
}

export interface Verdict {
  policy: string;
  /** A tie: both meet the SLO at the same cost (within 0.1 %), as when both sit at the minimum. */
  outcome: 'win' | 'loss' | 'tie' | 'no verdict';
  /** The cheapest HPA target meeting the SLO on this trace, chosen with hindsight. */
  bestHpa?: string;
  costVsBestHpa?: number;
  actionsVsBestHpa?: number;
  text: string;
}

export interface TraceResults {
  trace: string;
  /** The workload profile's name, and the utilisation at which its latency breaks the SLO. */
  workload?: string;
  kneeUtilization?: number;
  results: ResultRow[];
  verdicts?: Verdict[];
}

const r = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Means of several seeds' figures, with each seed kept. */
export function combineSeeds(runs: SeedFigures[]): EvalFigures & {
  seeds?: SeedFigures[];
  worstSloViolationPct?: number;
} {
  if (runs.length === 1) {
    const { seed: _seed, ...only } = runs[0]!;
    return only;
  }
  const mean = (f: (x: EvalFigures) => number) => runs.reduce((s, x) => s + f(x), 0) / runs.length;
  return {
    costCoreHours: mean((x) => x.costCoreHours),
    sloViolationPct: mean((x) => x.sloViolationPct),
    p95LatencyMs: mean((x) => x.p95LatencyMs),
    droppedPct: mean((x) => x.droppedPct),
    scalingActions: Math.round(mean((x) => x.scalingActions)),
    worstSloViolationPct: Math.max(...runs.map((x) => x.sloViolationPct)),
    seeds: runs,
  };
}

const isHpa = (p: string) => p === 'hpa' || /^hpa-\d+$/.test(p);
const isBaseline = (p: string) =>
  isHpa(p) || p === 'oracle' || p === 'vpa' || p.startsWith('static');
const worst = (x: ResultRow) => x.worstSloViolationPct ?? x.sloViolationPct;

/**
 * Each learned policy against the cheapest HPA of the sweep that meets the SLO (at most
 * `sloTargetPct` % of intervals violated, on every seed). A policy that misses the SLO never
 * wins, and a trace where it and every HPA miss it has no verdict.
 */
export function verdicts(results: ResultRow[], sloTargetPct: number): Verdict[] {
  const meeting = results
    .filter((x) => isHpa(x.policy) && worst(x) <= sloTargetPct)
    .sort((a, b) => a.costCoreHours - b.costCoreHours);
  const best = meeting[0];
  const out: Verdict[] = [];
  for (const x of results) {
    if (isBaseline(x.policy)) continue;
    const meets = worst(x) <= sloTargetPct;
    const v = x.sloViolationPct.toFixed(3);
    if (!best) {
      out.push({
        policy: x.policy,
        outcome: meets ? 'win' : 'no verdict',
        text: meets
          ? `${x.policy} WINS: it meets the SLO (${v} % of intervals violated) where no HPA target does`
          : `${x.policy}: NO VERDICT: it and every HPA target miss the SLO (${v} % of intervals violated)`,
      });
      continue;
    }
    const cost = x.costCoreHours / best.costCoreHours;
    const acts = best.scalingActions > 0 ? x.scalingActions / best.scalingActions : undefined;
    const against = `${best.policy} (${best.costCoreHours.toFixed(1)} core-h, ${best.sloViolationPct.toFixed(3)} % violated, ${best.scalingActions} actions)`;
    const base = {
      policy: x.policy,
      bestHpa: best.policy,
      costVsBestHpa: r(cost, 4),
      ...(acts !== undefined ? { actionsVsBestHpa: r(acts, 3) } : {}),
    };
    if (!meets)
      out.push({
        ...base,
        outcome: 'loss',
        text: `${x.policy} LOSES: it misses the SLO (${v} % of intervals violated) where ${against} meets it`,
      });
    else {
      const outcome = Math.abs(cost - 1) <= 0.001 ? 'tie' : cost < 1 ? 'win' : 'loss';
      out.push({
        ...base,
        outcome,
        text: `${x.policy} ${{ win: 'WINS', loss: 'LOSES on cost', tie: 'TIES' }[outcome]}: ${cost.toFixed(3)}x the cost of ${against}, meeting the SLO (${v} % violated) with ${acts === undefined ? x.scalingActions : acts.toFixed(1) + 'x its'} actions`,
      });
    }
  }
  return out;
}

/** Rounds figures for output, adds each policy's cost relative to the oracle and the verdicts. */
export function finishResults(
  traces: TraceResults[],
  sloTargetPct = 0.5,
): { sloTargetPct: number; traces: TraceResults[] } {
  return {
    sloTargetPct,
    traces: traces.map((t) => {
      const oracle = t.results.find((x) => x.policy === 'oracle');
      const results: ResultRow[] = t.results.map((x) => ({
        policy: x.policy,
        config: x.config,
        costCoreHours: r(x.costCoreHours, 3),
        sloViolationPct: r(x.sloViolationPct, 4),
        p95LatencyMs: r(x.p95LatencyMs, 1),
        droppedPct: r(x.droppedPct, 4),
        scalingActions: x.scalingActions,
        ...(oracle && x.policy !== 'oracle' && oracle.costCoreHours > 0
          ? { costVsOracle: r(x.costCoreHours / oracle.costCoreHours, 4) }
          : {}),
        ...(x.worstSloViolationPct !== undefined
          ? { worstSloViolationPct: r(x.worstSloViolationPct, 4) }
          : {}),
        ...(x.seeds ? { seeds: x.seeds } : {}),
      }));
      return {
        trace: t.trace,
        ...(t.workload !== undefined ? { workload: t.workload } : {}),
        ...(t.kneeUtilization !== undefined ? { kneeUtilization: r(t.kneeUtilization, 4) } : {}),
        results,
        verdicts: verdicts(results, sloTargetPct),
      };
    }),
  };
}

export function formatTable(out: { sloTargetPct: number; traces: TraceResults[] }): string {
  const lines: string[] = [];
  for (const t of out.traces) {
    lines.push(
      `trace ${t.trace}` +
        (t.workload !== undefined
          ? `, workload ${t.workload} (latency meets the SLO up to ${((t.kneeUtilization ?? 0) * 100).toFixed(0)} % CPU)`
          : ''),
    );
    const seeded = t.results.some((x) => x.seeds);
    const header = [
      'POLICY',
      'COST (core-h)',
      ...(seeded ? ['COST RANGE'] : []),
      'vs ORACLE',
      'SLO VIOLATIONS %',
      ...(seeded ? ['WORST SEED %'] : []),
      'P95 (ms)',
      'DROPPED %',
      'ACTIONS',
    ];
    const rows = t.results.map((x) => {
      const costs = x.seeds?.map((s) => s.costCoreHours) ?? [x.costCoreHours];
      return [
        x.policy,
        x.costCoreHours.toFixed(1),
        ...(seeded ? [`${Math.min(...costs).toFixed(1)}-${Math.max(...costs).toFixed(1)}`] : []),
        x.costVsOracle !== undefined
          ? `${x.costVsOracle.toFixed(3)}x`
          : x.policy === 'oracle'
            ? '1.000x'
            : '-',
        x.sloViolationPct.toFixed(3),
        ...(seeded ? [worst(x).toFixed(3)] : []),
        x.p95LatencyMs.toFixed(0),
        x.droppedPct.toFixed(4),
        String(x.scalingActions),
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const fmt = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    lines.push(fmt(header), ...rows.map(fmt));
    for (const v of t.verdicts ?? [])
      lines.push(`verdict (SLO: <= ${out.sloTargetPct} % of intervals violated): ${v.text}`);
    lines.push('');
  }
  return lines.join('\n');
}
