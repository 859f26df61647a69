/** The evaluation's output: EVALUATION.md's JSON object, or a readable table. */
import type { EvalFigures } from './evaluator.js';

export interface ResultRow extends EvalFigures {
  policy: string;
  config: Record<string, unknown>;
  /** Cost over the oracle's on the same trace, when the oracle ran. */
  costVsOracle?: number;
}

export interface TraceResults {
  trace: string;
  results: ResultRow[];
}

const r = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Rounds figures for output and adds each policy's cost relative to the oracle. */
export function finishResults(traces: TraceResults[]): { traces: TraceResults[] } {
  return {
    traces: traces.map((t) => {
      const oracle = t.results.find((x) => x.policy === 'oracle');
      return {
        trace: t.trace,
        results: t.results.map((x) => ({
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
        })),
      };
    }),
  };
}

export function formatTable(out: { traces: TraceResults[] }): string {
  const lines: string[] = [];
  for (const t of out.traces) {
    lines.push(`trace ${t.trace}`);
    const header = [
      'POLICY',
      'COST (core-h)',
      'vs ORACLE',
      'SLO VIOLATIONS %',
      'P95 (ms)',
      'DROPPED %',
      'ACTIONS',
    ];
    const rows = t.results.map((x) => [
      x.policy,
      x.costCoreHours.toFixed(1),
      x.costVsOracle !== undefined
        ? `${x.costVsOracle.toFixed(3)}x`
        : x.policy === 'oracle'
          ? '1.000x'
          : '-',
      x.sloViolationPct.toFixed(3),
      x.p95LatencyMs.toFixed(0),
      x.droppedPct.toFixed(4),
      String(x.scalingActions),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const fmt = (cells: string[]) =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    lines.push(fmt(header), ...rows.map(fmt), '');
  }
  return lines.join('\n');
}
