// Attribute readers shared by op descriptors: each checks type and range and throws a plain
// message naming the attribute, which the loader prefixes with the layer name.

import type { Attrs } from './types';

export function int(raw: Attrs, key: string, def?: number, min = 0): number {
  const v = raw[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new Error(`attribute "${key}" must be an integer >= ${min} (got ${JSON.stringify(raw[key])})`);
  }
  return v;
}

export function num(raw: Attrs, key: string, def?: number): number {
  const v = raw[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`attribute "${key}" must be a finite number (got ${JSON.stringify(raw[key])})`);
  }
  return v;
}

export function bool(raw: Attrs, key: string, def: boolean): boolean {
  const v = raw[key] ?? def;
  if (typeof v !== 'boolean') throw new Error(`attribute "${key}" must be true or false (got ${JSON.stringify(raw[key])})`);
  return v;
}

/** A [h, w] pair; a single integer means both. */
export function pair(raw: Attrs, key: string, def: [number, number] | undefined, min: number): [number, number] {
  let v = raw[key] ?? def;
  if (typeof v === 'number') v = [v, v];
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min)
  ) {
    throw new Error(`attribute "${key}" must be [h, w] integers >= ${min} (got ${JSON.stringify(raw[key])})`);
  }
  return [v[0], v[1]];
}

export function rejectUnknown(raw: Attrs, known: string[]): void {
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new Error(`unknown attribute "${k}" (known: ${known.join(', ') || 'none'})`);
  }
}

/** Output length of a sliding window (PyTorch's formula, with ceil mode). */
export function windowOutLen(inLen: number, k: number, s: number, pad: number, dil: number, ceil: boolean): number {
  const span = inLen + 2 * pad - dil * (k - 1) - 1;
  let out = Math.floor((ceil ? span + s - 1 : span) / s) + 1;
  if (ceil && (out - 1) * s >= inLen + pad) out -= 1;
  return out;
}

export function shapeStr(s: number[]): string {
  return `[${s.join(', ')}]`;
}
