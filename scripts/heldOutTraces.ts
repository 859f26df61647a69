/**
 * Writes traffic shapes unlike anything the synthetic training generator makes, for
 * evaluating `dqn` on load it never saw: npx tsx scripts/heldOutTraces.ts DIR
 * - growth-cliff: a week of steady growth from 20 % to 100 %, then a fall to 30 %;
 * - batch-waves: 25-minute waves at full load every 2 hours over a 10 % floor, 1-minute edges;
 * - noisy-week: a daily cycle under 25 % per-minute noise and random 5-minute spikes.
 * One point a minute; the evaluator rescales them to its --peak-rps.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/core/rng.js';

const dir = process.argv[2] ?? 'held-out-traces';
mkdirSync(dir, { recursive: true });
const minutes = 7 * 1440;
const rng = new Rng('held-out traffic');

function write(name: string, rate: (m: number) => number): void {
  const rows = ['t,rps'];
  for (let m = 0; m <= minutes; m++) rows.push(`${m * 60},${Math.max(0, rate(m)).toFixed(4)}`);
  writeFileSync(join(dir, `${name}.csv`), rows.join('\n') + '\n');
}

write('growth-cliff', (m) => (m < 6 * 1440 ? 0.2 + (0.8 * m) / (6 * 1440) : 0.3));
write('batch-waves', (m) => {
  const k = m % 120;
  if (k < 1) return 0.1 + 0.9 * k;
  if (k < 25) return 1;
  if (k < 26) return 1 - 0.9 * (k - 25);
  return 0.1;
});
let spike = 0;
write('noisy-week', (m) => {
  if (spike > 0) spike--;
  else if (rng.next() < 1 / 720) spike = 5;
  const daily = 0.55 + 0.35 * Math.sin((2 * Math.PI * m) / 1440);
  return daily * (1 + 0.25 * (2 * rng.next() - 1)) * (spike > 0 ? 1.8 : 1);
});
console.log(`wrote growth-cliff, batch-waves and noisy-week to ${dir}`);
