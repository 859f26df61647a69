/**
 * Branded units keep CPU, memory and replica counts from being mixed up by accident: a
 * `Millicores` cannot be passed where `Bytes` is expected without an explicit conversion.
 * The constructors validate, so a branded value is always finite and non-negative.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type Millicores = Brand<number, 'Millicores'>;
export type Bytes = Brand<number, 'Bytes'>;
export type Replicas = Brand<number, 'Replicas'>;

function checkNonNegative(value: number, unit: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${unit} must be a finite, non-negative number, got ${value}`);
  }
}

export function millicores(value: number): Millicores {
  checkNonNegative(value, 'millicores');
  return value as Millicores;
}

export function bytes(value: number): Bytes {
  checkNonNegative(value, 'bytes');
  return value as Bytes;
}

export function replicas(value: number): Replicas {
  checkNonNegative(value, 'replicas');
  if (!Number.isInteger(value)) throw new RangeError(`replicas must be an integer, got ${value}`);
  return value as Replicas;
}

export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export function coresToMillicores(cores: number): Millicores {
  return millicores(cores * 1000);
}

export function millicoresToCores(value: Millicores): number {
  return value / 1000;
}

export function bytesToMiB(value: Bytes): number {
  return value / MIB;
}
