import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    const seqB = Array.from({ length: 5 }, () => b.next());
    const seqC = Array.from({ length: 5 }, () => c.next());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
  });

  it('draws uniforms in [0, 1) with a mean near one half', () => {
    const rng = new Rng('uniform');
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = rng.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 20_000).toBeCloseTo(0.5, 1);
  });

  it('draws integers within inclusive bounds, reaching both ends', () => {
    const rng = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
    expect(() => rng.int(5, 4)).toThrow(/range/);
  });

  it('draws normals with the requested mean and spread', () => {
    const rng = new Rng(7);
    const xs = Array.from({ length: 20_000 }, () => rng.normal(10, 2));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
  });

  it('forks independent, reproducible streams', () => {
    const a = new Rng(5).fork('pods');
    const b = new Rng(5).fork('pods');
    const c = new Rng(5).fork('noise');
    expect(a.next()).toBe(b.next());
    expect(new Rng(5).fork('pods').next()).not.toBe(c.next());
  });

  it('clones its state', () => {
    const a = new Rng(11);
    a.next();
    const b = a.clone();
    expect(Array.from({ length: 3 }, () => b.next())).toEqual(
      Array.from({ length: 3 }, () => a.next()),
    );
  });

  it('makes pod-name suffixes from the Kubernetes alphabet', () => {
    const suffix = new Rng(9).alphanumeric(5);
    expect(suffix).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
});
