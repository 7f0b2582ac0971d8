// Small helpers for op descriptors' GPU encodings: plane sizes and tile counts.

import type { Shape } from '../model/types';
import type { ConvGeometry } from './reference/conv2d';

/** [channels, height, width] of a per-image shape; flat vectors are [F, 1, 1]. */
export function chw(shape: Shape): [number, number, number] {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  if (shape.length === 1) return [shape[0], 1, 1];
  throw new Error(`expected a [C, H, W] or [F] shape, got [${shape.join(', ')}]`);
}

export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The uniform prefix every conv shader shares (conv2d/*.wgsl, the gemm family's layout passes). */
export function convUniforms(batch: number, inShape: number[], outShape: number[], g: ConvGeometry): number[] {
  const [C, H, W] = chw(inShape);
  const [O, OH, OW] = chw(outShape);
  return [
    batch, C, H, W, O, OH, OW, g.groups,
    g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
    g.padding[0], g.padding[1], g.dilation[0], g.dilation[1],
  ];
}
