/**
 * Turns the JSON of `qpilot evaluate --hpa-sweep --json` into the tables of
 * docs/evaluation.md: npx tsx scripts/evaluationMarkdown.ts results.json…
 * The "best HPA" of a trace is the cheapest sweep target whose SLO violations are no higher
 * than the DQN's: the HPA a careful operator would have calibrated to the same service level.
 */
import { readFile } from 'node:fs/promises';

interface Row {
  policy: string;
  costCoreHours: number;
  sloViolationPct: number;
  p95LatencyMs: number;
  droppedPct: number;
  scalingActions: number;
}

const traces: { trace: string; results: Row[] }[] = [];
for (const file of process.argv.slice(2))
  traces.push(...(JSON.parse(await readFile(file, 'utf8')) as { traces: typeof traces }).traces);

const pct = (x: number) => `${x.toFixed(3)} %`;
const core = (x: number) => x.toFixed(0);
const ratio = (a: number, b: number) => `${(a / b).toFixed(3)}×`;

const full: string[] = [
  '| trace | policy | cost (core-h) | vs oracle | SLO violations | p95 (ms) | dropped | actions |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
];
const summary: string[] = [
  "| trace | dqn: cost, violations | hpa 70 %: cost, violations | dqn / hpa 70 % | best HPA at dqn's SLO | dqn / best HPA | oracle | dqn / oracle |",
  '|---|---|---|---:|---|---:|---:|---:|',
];
let passes = 0;
const vsOracle: number[] = [];
const vsBest: number[] = [];
for (const t of traces) {
  const by = (p: string) => t.results.find((r) => r.policy === p);
  const oracle = by('oracle');
  for (const r of t.results)
    full.push(
      `| ${t.trace} | ${r.policy} | ${core(r.costCoreHours)} | ${oracle ? ratio(r.costCoreHours, oracle.costCoreHours) : '–'} | ${pct(r.sloViolationPct)} | ${r.p95LatencyMs.toFixed(0)} | ${pct(r.droppedPct)} | ${r.scalingActions} |`,
    );
  const dqn = by('dqn');
  const hpa = by('hpa');
  if (!dqn || !hpa || !oracle) continue;
  const sweep = t.results.filter((r) => r.policy.startsWith('hpa'));
  const meeting = sweep
    .filter((r) => r.sloViolationPct <= dqn.sloViolationPct)
    .sort((a, b) => a.costCoreHours - b.costCoreHours)[0];
  if (dqn.sloViolationPct <= hpa.sloViolationPct && dqn.costCoreHours < hpa.costCoreHours) passes++;
  vsOracle.push(dqn.costCoreHours / oracle.costCoreHours);
  if (meeting) vsBest.push(dqn.costCoreHours / meeting.costCoreHours);
  summary.push(
    `| ${t.trace} | ${core(dqn.costCoreHours)}, ${pct(dqn.sloViolationPct)} | ${core(hpa.costCoreHours)}, ${pct(hpa.sloViolationPct)} | ${ratio(dqn.costCoreHours, hpa.costCoreHours)} | ${meeting ? `${meeting.policy === 'hpa' ? 'hpa-70' : meeting.policy}: ${core(meeting.costCoreHours)}, ${pct(meeting.sloViolationPct)}` : 'none meets it'} | ${meeting ? ratio(dqn.costCoreHours, meeting.costCoreHours) : '–'} | ${core(oracle.costCoreHours)} | ${ratio(dqn.costCoreHours, oracle.costCoreHours)} |`,
  );
}
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
console.log(summary.join('\n'));
console.log(
  `\ndqn beats hpa at 70 % (no more violations, lower cost) on ${passes} of ${vsOracle.length} traces; ` +
    `cost / oracle: mean ${mean(vsOracle).toFixed(3)}, range ${Math.min(...vsOracle).toFixed(3)}–${Math.max(...vsOracle).toFixed(3)}; ` +
    `cost / best HPA at the same SLO: mean ${mean(vsBest).toFixed(3)}, range ${Math.min(...vsBest).toFixed(3)}–${Math.max(...vsBest).toFixed(3)} (${vsBest.length} traces where one meets it)\n`,
);
console.log(full.join('\n'));
