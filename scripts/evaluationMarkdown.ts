/**
 * Turns the JSON of `qpilot evaluate --hpa-sweep --json` into the tables of
 * docs/evaluation.md: npx tsx scripts/evaluationMarkdown.ts results.json…
 * Per workload profile and trace, `dqn` against the cheapest HPA target of the sweep that
 * meets the SLO (chosen with hindsight, as an expert calibrating per workload would), and
 * against the oracle; the verdict is the one `qpilot evaluate` prints.
 */
import { readFile } from 'node:fs/promises';
import { type TraceResults, verdicts } from '../src/eval/report.js';

// Files may hold different policies on the same traces (the HPA sweep once, dqn after each
// retraining): results of one profile and trace are merged, a later file's policy winning.
const merged = new Map<string, TraceResults>();
let sloTargetPct = 0.5;
for (const file of process.argv.slice(2)) {
  const out = JSON.parse(await readFile(file, 'utf8')) as {
    sloTargetPct?: number;
    traces: TraceResults[];
  };
  sloTargetPct = out.sloTargetPct ?? sloTargetPct;
  for (const t of out.traces) {
    const key = `${t.workload ?? 'default'}/${t.trace}`;
    const known = merged.get(key);
    if (!known) merged.set(key, { ...t, results: [...t.results] });
    else
      known.results = [
        ...known.results.filter((r) => !t.results.some((x) => x.policy === r.policy)),
        ...t.results,
      ];
  }
}
const traces = [...merged.values()].map((t) => ({
  ...t,
  verdicts: verdicts(t.results, sloTargetPct),
}));

const pct = (x: number, digits = 2) => `${x.toFixed(digits)} %`;
const core = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a: number, b: number) => `${(a / b).toFixed(3)}×`;

const byProfile = new Map<string, TraceResults[]>();
for (const t of traces) {
  const k = t.workload ?? 'default';
  byProfile.set(k, [...(byProfile.get(k) ?? []), t]);
}

const lines: string[] = [];
const overall = { win: 0, loss: 0, tie: 0, none: 0 };
for (const [profile, list] of byProfile) {
  if (!list.some((t) => t.results.some((r) => r.policy === 'dqn'))) continue;
  const knee = list[0]?.kneeUtilization;
  lines.push(
    `### ${profile}${knee !== undefined ? ` (latency meets the SLO up to ${(knee * 100).toFixed(0)} % CPU)` : ''}`,
    '',
    '| trace | dqn: cost, violations, actions | cheapest HPA meeting the SLO | dqn / that HPA | actions / its | hpa 70 %: cost, violations | oracle | dqn / oracle | verdict |',
    '|---|---|---|---:|---:|---|---:|---:|---|',
  );
  const counts = { win: 0, loss: 0, tie: 0, none: 0 };
  for (const t of list) {
    const by = (p: string) => t.results.find((r) => r.policy === p);
    const dqn = by('dqn');
    const oracle = by('oracle');
    const hpa70 = by('hpa') ?? by('hpa-70');
    const v = t.verdicts?.find((x) => x.policy === 'dqn');
    if (!dqn || !v) continue;
    const best = v.bestHpa ? by(v.bestHpa) : undefined;
    if (v.outcome === 'win') counts.win++;
    else if (v.outcome === 'loss') counts.loss++;
    else if (v.outcome === 'tie') counts.tie++;
    else counts.none++;
    lines.push(
      `| ${t.trace} | ${core(dqn.costCoreHours)}, ${pct(dqn.sloViolationPct)}, ${dqn.scalingActions} | ${best ? `${best.policy}: ${core(best.costCoreHours)}, ${pct(best.sloViolationPct)}, ${best.scalingActions}` : 'none'} | ${best ? ratio(dqn.costCoreHours, best.costCoreHours) : '–'} | ${best && best.scalingActions > 0 ? ratio(dqn.scalingActions, best.scalingActions) : '–'} | ${hpa70 ? `${core(hpa70.costCoreHours)}, ${pct(hpa70.sloViolationPct)}` : '–'} | ${oracle ? core(oracle.costCoreHours) : '–'} | ${oracle ? ratio(dqn.costCoreHours, oracle.costCoreHours) : '–'} | ${v.outcome} |`,
    );
  }
  overall.win += counts.win;
  overall.loss += counts.loss;
  overall.tie += counts.tie;
  overall.none += counts.none;
  lines.push(
    '',
    `${profile}: dqn wins ${counts.win}, loses ${counts.loss}, ties ${counts.tie}, no verdict ${counts.none} (a policy meets the SLO when at most ${sloTargetPct} % of intervals violate it).`,
    '',
  );
}
if (overall.win + overall.loss + overall.tie + overall.none > 0)
  lines.push(
    `All profiles: dqn wins ${overall.win}, loses ${overall.loss}, ties ${overall.tie}, no verdict ${overall.none}.`,
  );

// dqn-vertical against the VPA, where a file holds both (replicas fixed, requests change).
const vertical = traces.filter((t) =>
  ['vpa', 'dqn-vertical'].every((p) => t.results.some((r) => r.policy === p)),
);
if (vertical.length > 0) {
  lines.push(
    '',
    '| trace | vpa: cost, violations, dropped, actions | dqn-vertical: cost, violations, dropped, actions | cost dqn-vertical / vpa |',
    '|---|---|---|---:|',
  );
  for (const t of vertical) {
    const [vpa, dqnV] = ['vpa', 'dqn-vertical'].map((p) => t.results.find((r) => r.policy === p)!);
    const cell = (r: typeof vpa) =>
      `${core(r!.costCoreHours)}, ${pct(r!.sloViolationPct, 3)}, ${pct(r!.droppedPct, 3)}, ${r!.scalingActions}`;
    lines.push(
      `| ${t.trace} | ${cell(vpa)} | ${cell(dqnV)} | ${ratio(dqnV!.costCoreHours, vpa!.costCoreHours)} |`,
    );
  }
}
console.log(lines.join('\n'));
