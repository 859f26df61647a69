import { describe, expect, it } from 'vitest';
import { Trace } from './trace.js';

const trace = () => new Trace('t', Float64Array.from([0, 60, 120]), Float64Array.from([10, 20, 40]));

describe('Trace', () => {
  it('interpolates linearly between points', () => {
    const t = trace();
    expect(t.rpsAt(0)).toBe(10);
    expect(t.rpsAt(30)).toBe(15);
    expect(t.rpsAt(90)).toBe(30);
    expect(t.durationSec).toBe(180);
    expect(t.peakRps).toBe(40);
  });

  it('gives the same answers in any order of questions (the cursor is only a shortcut)', () => {
    const t = trace();
    const forward = [0, 10, 70, 130, 150].map((x) => t.rpsAt(x));
    const backward = [150, 130, 70, 10, 0].map((x) => trace().rpsAt(x)).reverse();
    expect(forward).toEqual(backward);
  });

  it('wraps when looping and holds the last value when not', () => {
    const t = trace();
    expect(t.rpsAt(180)).toBe(10);
    expect(t.rpsAt(180 + 30)).toBe(15);
    expect(t.rpsAt(150)).toBe(25);
    expect(t.rpsAt(1000, false)).toBe(40);
  });

  it('rescales to a peak, cuts windows, and writes canonical CSV', () => {
    const scaled = trace().scaledToPeak(100);
    expect(Array.from(scaled.rps)).toEqual([25, 50, 100]);
    const w = trace().window(60, 120);
    expect(Array.from(w.tSec)).toEqual([0, 60]);
    expect(w.toCsv()).toBe('t,rps\n0,20\n60,40\n');
  });

  it('refuses times that do not increase', () => {
    expect(() => new Trace('bad', Float64Array.from([0, 0]), Float64Array.from([1, 2]))).toThrow(/increase/);
    expect(() => new Trace('empty', new Float64Array(), new Float64Array())).toThrow(/at least one point/);
  });
});
