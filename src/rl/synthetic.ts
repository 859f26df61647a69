/**
 * Synthetic web traffic for training, so that every published trace stays unseen until
 * evaluation: daily and weekly cycles with random shapes, slow drifts, level shifts, flash
 * crowds that rise in minutes and fade over tens of minutes to hours, brief outages, and
 * per-minute noise. One point a minute, peak 1 (scaled by the environment).
 */
import type { Rng } from '../core/rng.js';
import { Trace } from '../traces/trace.js';

export function syntheticTrace(rng: Rng, durationSec: number, name = 'synthetic'): Trace {
  const stepSec = 60;
  const n = Math.ceil(durationSec / stepSec) + 1;
  const day = 86_400 * (0.9 + 0.2 * rng.next());
  const phase = rng.next() * 2 * Math.PI;
  const dailyAmp = 0.15 + 0.8 * rng.next();
  const harmonicAmp = 0.25 * rng.next();
  const weeklyAmp = 0.3 * rng.next();
  const weekPhase = rng.next() * 2 * Math.PI;
  const noiseSigma = 0.01 + 0.07 * rng.next();
  const walkSigma = 0.004 * rng.next();
  const flashPerDay = 4 * rng.next() ** 2;
  const shiftPerDay = 2 * rng.next();
  const extra = new Float64Array(n);
  const factor = new Float64Array(n).fill(1);
  // Flash crowds: a rise over minutes, then an exponential fade.
  for (let i = 0; i < n; i++) {
    if (rng.next() < flashPerDay / 1440) {
      const height = 0.3 + 3 * rng.next() ** 2;
      const rise = 1 + rng.int(0, 9);
      const fade = 5 + rng.next() * 115;
      for (let k = 0; i + k < n && k < rise + 6 * fade; k++)
        extra[i + k]! += height * (k < rise ? (k + 1) / rise : Math.exp(-(k - rise) / fade));
    }
    // Level shifts: a new plateau reached over 10 to 60 minutes, lasting hours.
    if (rng.next() < shiftPerDay / 1440) {
      const to = Math.exp((rng.next() - 0.5) * 1.0);
      const ramp = 10 + rng.int(0, 50);
      const hold = 60 + rng.int(0, 600);
      for (let k = 0; i + k < n && k < ramp + hold + ramp; k++) {
        const f = k < ramp ? k / ramp : k < ramp + hold ? 1 : 1 - (k - ramp - hold) / ramp;
        factor[i + k]! *= 1 + (to - 1) * f;
      }
    }
    // Rare outages of the traffic source (minutes of next to nothing).
    if (rng.next() < 0.2 / 1440)
      for (let k = 0; i + k < n && k < 2 + rng.int(0, 10); k++) factor[i + k]! *= 0.05;
  }
  const t = new Float64Array(n);
  const rps = new Float64Array(n);
  let walk = 0;
  for (let i = 0; i < n; i++) {
    const s = i * stepSec;
    const angle = (2 * Math.PI * s) / day + phase;
    const daily = 1 + dailyAmp * Math.sin(angle) + harmonicAmp * Math.sin(2 * angle + 1.3);
    const weekly = 1 + weeklyAmp * Math.sin((2 * Math.PI * s) / (7 * 86_400) + weekPhase);
    walk = Math.max(-1, Math.min(1, walk + walkSigma * rng.normal()));
    const value =
      Math.max(0.02, daily) *
      weekly *
      Math.exp(walk) *
      factor[i]! *
      (1 + extra[i]!) *
      Math.exp(noiseSigma * rng.normal());
    t[i] = s;
    rps[i] = Math.max(0, value);
  }
  const trace = new Trace(name, t, rps);
  return trace.scaledToPeak(1);
}
