// How faithfully a circuit preserves its target: run held-out images through the original
// network and through the circuit (every kernel outside it zeroed, biases kept), and
// compare the target's maps: Pearson r over images x positions, mean |diff| / std, and
// collapse (the circuit's map is constant to within float32 noise: no path left, r counted as 0).
// The preservation curve: the same at several keep fractions, the full network run once.

import type { Engine } from '../engine/engine';
import { nodeShape, shapeSize } from '../model/types';
import { targetLayer, type Target } from '../engine/targets';
import type { ImageStream } from './imageStream';
import { graphOf, layerMasks, QueryCancelled, type QueryOptions } from './saliency';

export interface Preservation {
  r: number;
  meanAbsDiffOverStd: number;
  collapsed: boolean;
}

/** The target's values for every image of the set, flattened (maps for feature targets). */
export async function targetValues(engine: Engine, target: Target, set: ImageStream, opts: QueryOptions = {}): Promise<Float64Array> {
  const model = engine.model;
  const layer = targetLayer(target, model.output);
  const shape = nodeShape(model, layer);
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  const per = shapeSize(shape);
  const featureLike = 'layer' in target;
  const out = new Float64Array(set.count * (featureLike ? plane : 1));
  const batch = Math.min(opts.batchSize ?? engine.maxBatch, engine.maxBatch);
  for (let start = 0; start < set.count; start += batch) {
    if (opts.signal?.aborted) throw new QueryCancelled();
    const n = Math.min(batch, set.count - start);
    engine.forward(set.images(start, n), n, layer);
    const y = await engine.read(layer);
    for (let i = 0; i < n; i++) {
      const row = y.subarray(i * per, (i + 1) * per);
      const img = start + i;
      switch (target.kind) {
        case 'featureMean': case 'featureMax': case 'featureAt':
          for (let q = 0; q < plane; q++) out[img * plane + q] = row[target.channel * plane + q];
          break;
        case 'direction':
          for (let q = 0; q < plane; q++) {
            let s = 0;
            target.weights.forEach((w, c) => (s += w * row[c * plane + q]));
            out[img * plane + q] = s;
          }
          break;
        case 'classLogit':
          out[img] = row[target.class];
          break;
        case 'classProbability': case 'loss': {
          const m = Math.max(...row);
          let s = 0;
          for (const v of row) s += Math.exp(v - m);
          const c = target.kind === 'loss' ? set.labels![img] : target.class;
          out[img] = target.kind === 'loss' ? Math.log(s) + m - row[c] : Math.exp(row[c] - m) / s;
          break;
        }
      }
    }
    opts.onProgress?.(start + n, set.count);
  }
  return out;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : NaN;
}

/**
 * Whether values are constant to within float32 noise: their spread is at most 1e-6 of their
 * typical size (an r computed from rounding noise means nothing).
 */
export function isConstant(values: Float64Array): boolean {
  const n = values.length;
  if (n === 0) return true;
  let mean = 0, meanAbs = 0;
  for (const v of values) { mean += v; meanAbs += Math.abs(v); }
  mean /= n;
  meanAbs /= n;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return Math.sqrt(sq / n) <= 1e-6 * Math.max(1e-30, meanAbs);
}

export function compareValues(original: Float64Array, circuit: Float64Array): Preservation {
  const r = pearson(original, circuit);
  let mean = 0;
  for (const v of original) mean += v;
  mean /= original.length;
  let varSum = 0;
  let diff = 0;
  for (let i = 0; i < original.length; i++) {
    varSum += (original[i] - mean) ** 2;
    diff += Math.abs(original[i] - circuit[i]);
  }
  const std = Math.sqrt(varSum / original.length);
  const constant = isConstant(circuit);
  return {
    r: constant || Number.isNaN(r) ? 0 : r,
    meanAbsDiffOverStd: std > 0 ? diff / original.length / std : 0,
    collapsed: constant,
  };
}

/** Preservation of `target` by the circuit `kept` (global edge mask) on `set`. */
export async function preservation(
  engine: Engine, target: Target, kept: Uint8Array, set: ImageStream, opts: QueryOptions & { original?: Float64Array } = {},
): Promise<Preservation> {
  const original = opts.original ?? (await targetValues(engine, target, set, opts));
  engine.setEdgeMasks(layerMasks(graphOf(engine), kept));
  try {
    return compareValues(original, await targetValues(engine, target, set, opts));
  } finally {
    engine.setEdgeMasks(null);
  }
}

/** The keep fractions of the preservation curve (a log axis from 1% to everything). */
export const CURVE_KEEPS: readonly number[] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1];

export interface CurvePoint extends Preservation {
  keep: number;
}

/** Why a list of keep fractions cannot be a curve's axis, or null: increasing, each in (0, 1], at most 32. */
export function badCurveKeeps(keeps: readonly number[]): string | null {
  if (!Array.isArray(keeps) || keeps.length === 0 || keeps.length > 32) return 'expected 1 to 32 keep fractions';
  for (let i = 0; i < keeps.length; i++) {
    const k = keeps[i];
    if (typeof k !== 'number' || !(k > 0 && k <= 1)) return `keep ${String(k)}: expected a fraction in (0, 1]`;
    if (i > 0 && !(k > keeps[i - 1])) return 'the keep fractions must increase';
  }
  return null;
}

/**
 * Preservation of `target` at each keep fraction (increasing): the full network's values once
 * (or `original`), then one masked pass per keep with the circuit `keptAt(keep)` gives (the scores
 * behind it are the caller's: they do not change with keep, only the cut does). `onPoint` hears
 * each point as it is done; `onProgress` counts passes over the set.
 */
export async function preservationCurve(
  engine: Engine,
  target: Target,
  keeps: readonly number[],
  keptAt: (keep: number) => Uint8Array | Promise<Uint8Array>,
  set: ImageStream,
  opts: QueryOptions & { original?: Float64Array; onPoint?: (point: CurvePoint, index: number) => void } = {},
): Promise<CurvePoint[]> {
  const bad = badCurveKeeps(keeps);
  if (bad) throw new Error(`preservation curve: ${bad}`);
  const passes = keeps.length + (opts.original ? 0 : 1);
  const pass = (i: number) => (done: number, total: number) => opts.onProgress?.(i * total + done, passes * total);
  const original = opts.original ?? (await targetValues(engine, target, set, { ...opts, onProgress: pass(0) }));
  const points: CurvePoint[] = [];
  for (const [i, keep] of keeps.entries()) {
    if (opts.signal?.aborted) throw new QueryCancelled();
    const kept = await keptAt(keep);
    const p = await preservation(engine, target, kept, set, { ...opts, original, onProgress: pass(passes - keeps.length + i) });
    const point = { keep, ...p };
    points.push(point);
    opts.onPoint?.(point, i);
  }
  return points;
}
