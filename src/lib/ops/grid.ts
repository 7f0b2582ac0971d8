// Small helpers for op descriptors' GPU encodings: plane sizes and tile counts.

import type { Shape } from '../model/types';

/** [channels, height, width] of a per-image shape; flat vectors are [F, 1, 1]. */
export function chw(shape: Shape): [number, number, number] {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  if (shape.length === 1) return [shape[0], 1, 1];
  throw new Error(`expected a [C, H, W] or [F] shape, got [${shape.join(', ')}]`);
}

export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}
