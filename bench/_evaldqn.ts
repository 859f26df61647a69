import { evaluate } from '../src/eval/evaluator.js';
import { HpaPolicy } from '../src/policies/hpa/hpa.js';
import { DqnPolicy, loadDqnModel } from '../src/policies/dqn/dqnPolicy.js';
import { loadBundledTrace } from '../src/traces/files.js';
const model = await loadDqnModel(process.argv[2]!);
const cases: [string, number][] = [
  ['reddit-2015-03', 0],
  ['worldcup98', 50],
  ['azure-vm-2019-week1', 0],
];
for (const [name, off] of cases) {
  let t = await loadBundledTrace(name);
  if (off) t = t.window(off * 86400, 7 * 86400);
  const h = await evaluate(() => new HpaPolicy(), {
    trace: t,
    peakRps: 2000,
    durationSec: 7 * 86400,
  });
  const d = await evaluate(() => new DqnPolicy(model), {
    trace: t,
    peakRps: 2000,
    durationSec: 7 * 86400,
  });
  console.log(
    name.padEnd(22),
    'hpa',
    h.costCoreHours.toFixed(0),
    h.sloViolationPct.toFixed(3),
    '| dqn',
    d.costCoreHours.toFixed(0),
    d.sloViolationPct.toFixed(3),
    d.scalingActions,
    `${((d.costCoreHours / h.costCoreHours - 1) * 100).toFixed(1)}%`,
  );
}
