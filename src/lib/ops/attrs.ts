// Attribute readers shared by op descriptors: each checks type and range and throws a plain
// message naming the attribute, which the loader prefixes with the layer name.

import type { Attrs } from './types';
import { quote } from '../model/limits';

/** The largest integer attribute (a kernel, stride, padding, dilation, group count or size): a map's largest side. */
export const ATTR_INT_MAX = 65_536;
/** The largest magnitude of a number attribute: float32's, as shaders read them as f32. */
export const ATTR_NUM_MAX = 3.4028234663852886e38;

export function int(raw: Attrs, key: string, def?: number, min = 0, max = ATTR_INT_MAX): number {
  const v = raw[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new Error(`attribute "${key}" must be an integer in ${min}..${max} (got ${quote(raw[key])})`);
  }
  return v;
}

export function num(raw: Attrs, key: string, def?: number): number {
  const v = raw[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > ATTR_NUM_MAX) {
    throw new Error(`attribute "${key}" must be a finite number within float32's range (got ${quote(raw[key])})`);
  }
  return v;
}

export function bool(raw: Attrs, key: string, def: boolean): boolean {
  const v = raw[key] ?? def;
  if (typeof v !== 'boolean') throw new Error(`attribute "${key}" must be true or false (got ${quote(raw[key])})`);
  return v;
}

/** A [h, w] pair; a single integer means both. */
export function pair(raw: Attrs, key: string, def: [number, number] | undefined, min: number, max = ATTR_INT_MAX): [number, number] {
  let v = raw[key] ?? def;
  if (typeof v === 'number') v = [v, v];
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max)
  ) {
    throw new Error(`attribute "${key}" must be [h, w] integers in ${min}..${max} (got ${quote(raw[key])})`);
  }
  return [v[0], v[1]];
}

export function rejectUnknown(raw: Attrs, known: string[]): void {
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) throw new Error(`unknown attribute ${quote(k, 40)} (known: ${known.join(', ') || 'none'})`);
  }
}

/**
 * Output length of a sliding window (PyTorch's formula, with ceil mode; ONNX's with pads
 * `pad` before and `padEnd` after): in ceil mode a last window starting past the input and its
 * leading pad is dropped.
 */
export function windowOutLen(inLen: number, k: number, s: number, pad: number, dil: number, ceil: boolean, padEnd = pad): number {
  const span = inLen + pad + padEnd - dil * (k - 1) - 1;
  let out = Math.floor((ceil ? span + s - 1 : span) / s) + 1;
  if (ceil && (out - 1) * s >= inLen + pad) out -= 1;
  return out;
}

/**
 * An optional `padEnd` [bottom, right] (ONNX's end pads) that defaults to `padding` [top, left]:
 * kept in the attributes only when it differs, so symmetric layers keep their attributes as before.
 */
export function padEndAttr(raw: Attrs, padding: [number, number]): { padEnd?: [number, number] } {
  const padEnd = pair(raw, 'padEnd', padding, 0);
  return padEnd[0] === padding[0] && padEnd[1] === padding[1] ? {} : { padEnd };
}

export function shapeStr(s: number[]): string {
  return `[${s.join(', ')}]`;
}
