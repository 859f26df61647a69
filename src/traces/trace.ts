/**
 * A load trace: requests per second over time. The canonical file is a CSV with the header
 * `t,rps` (seconds from the start, requests per second). Between points the load is
 * interpolated linearly; past the end it wraps around when the trace loops.
 */
import { invalidArgument } from '../core/errors.js';

export class Trace {
  private cursor = 0;
  /** Seconds the trace covers: the last point plus one step. */
  readonly durationSec: number;
  readonly stepSec: number;
  readonly peakRps: number;
  readonly meanRps: number;

  constructor(
    readonly name: string,
    readonly tSec: Float64Array,
    readonly rps: Float64Array,
  ) {
    if (tSec.length === 0 || tSec.length !== rps.length) {
      throw invalidArgument(`trace "${name}" must have at least one point and as many times as rates`);
    }
    for (let i = 1; i < tSec.length; i++) {
      if (!(tSec[i]! > tSec[i - 1]!)) throw invalidArgument(`trace "${name}": times must increase (point ${i + 1})`);
    }
    this.stepSec = medianStep(tSec);
    this.durationSec = tSec[tSec.length - 1]! - tSec[0]! + this.stepSec;
    let peak = 0;
    let sum = 0;
    for (const r of rps) {
      peak = Math.max(peak, r);
      sum += r;
    }
    this.peakRps = peak;
    this.meanRps = sum / rps.length;
  }

  get length(): number {
    return this.tSec.length;
  }

  /**
   * Requests per second `t` seconds after the trace's start. Calls with increasing `t` cost
   * O(1): the simulator asks every tick, so the last position is remembered.
   */
  rpsAt(t: number, loop = true): number {
    const t0 = this.tSec[0]!;
    let x = t;
    if (loop) {
      x = ((t % this.durationSec) + this.durationSec) % this.durationSec;
    } else if (t >= this.durationSec) {
      return this.rps[this.rps.length - 1]!;
    }
    x += t0;
    const times = this.tSec;
    const n = times.length;
    if (x <= times[0]!) return this.rps[0]!;
    if (x >= times[n - 1]!) {
      // Between the last point and the wrap: ease back towards the first point.
      if (!loop || n === 1) return this.rps[n - 1]!;
      const f = (x - times[n - 1]!) / this.stepSec;
      return this.rps[n - 1]! + (this.rps[0]! - this.rps[n - 1]!) * Math.min(1, f);
    }
    let i = this.cursor;
    if (i >= n - 1 || times[i]! > x) i = upperBound(times, x) - 1;
    while (times[i + 1]! <= x) i++;
    this.cursor = i;
    const f = (x - times[i]!) / (times[i + 1]! - times[i]!);
    return this.rps[i]! + (this.rps[i + 1]! - this.rps[i]!) * f;
  }

  /** The same shape, rescaled so that its peak is `peakRps`. */
  scaledToPeak(peakRps: number): Trace {
    if (!(peakRps > 0)) throw invalidArgument(`peak rps must be > 0, got ${peakRps}`);
    const k = this.peakRps > 0 ? peakRps / this.peakRps : 0;
    return new Trace(this.name, this.tSec, this.rps.map((r) => r * k));
  }

  /** The part from `fromSec` to `fromSec + durationSec`, restarting at t = 0. */
  window(fromSec: number, durationSec: number): Trace {
    const t0 = this.tSec[0]! + fromSec;
    const ts: number[] = [];
    const rs: number[] = [];
    for (let i = 0; i < this.tSec.length; i++) {
      const t = this.tSec[i]!;
      if (t >= t0 && t < t0 + durationSec) {
        ts.push(t - t0);
        rs.push(this.rps[i]!);
      }
    }
    if (ts.length === 0) throw invalidArgument(`trace "${this.name}" has no points in [${fromSec}, ${fromSec + durationSec}) s`);
    return new Trace(this.name, Float64Array.from(ts), Float64Array.from(rs));
  }

  toCsv(): string {
    const lines = ['t,rps'];
    const t0 = this.tSec[0]!;
    for (let i = 0; i < this.tSec.length; i++) lines.push(`${round(this.tSec[i]! - t0)},${round(this.rps[i]!)}`);
    return lines.join('\n') + '\n';
  }
}

function round(x: number): string {
  return String(Math.round(x * 1e6) / 1e6);
}

function upperBound(times: Float64Array, x: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function medianStep(tSec: Float64Array): number {
  if (tSec.length < 2) return 1;
  const diffs: number[] = [];
  for (let i = 1; i < tSec.length; i++) diffs.push(tSec[i]! - tSec[i - 1]!);
  diffs.sort((a, b) => a - b);
  return diffs[Math.floor(diffs.length / 2)]!;
}
