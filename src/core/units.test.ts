import { describe, expect, it } from 'vitest';
import {
  bytes,
  bytesToMiB,
  coresToMillicores,
  millicores,
  millicoresToCores,
  replicas,
} from './units.js';

describe('units', () => {
  it('accepts finite non-negative values', () => {
    expect(millicores(250)).toBe(250);
    expect(bytes(1024)).toBe(1024);
    expect(replicas(3)).toBe(3);
  });

  it('rejects negative, non-finite and fractional replica values', () => {
    expect(() => millicores(-1)).toThrow(/millicores/);
    expect(() => bytes(Number.NaN)).toThrow(/bytes/);
    expect(() => replicas(1.5)).toThrow(/integer/);
    expect(() => replicas(Number.POSITIVE_INFINITY)).toThrow(/replicas/);
  });

  it('converts between cores, millicores and MiB', () => {
    expect(coresToMillicores(1.5)).toBe(1500);
    expect(millicoresToCores(millicores(250))).toBe(0.25);
    expect(bytesToMiB(bytes(128 * 1024 * 1024))).toBe(128);
  });
});
