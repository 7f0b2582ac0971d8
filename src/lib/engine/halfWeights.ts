// Engine precision: 'exact' runs every conv in f32 (the default: results agree bit for bit from
// run to run and with the f32 kernels' tests); 'fast' keeps a packed f16 copy of each conv and
// linear layer's weights (shaders/conv2d/pack_f16.wgsl) that forward and backward to input read.

import type { Kernels, Dispatch } from './kernels';

/** How the engine stores the weights its conv kernels read: f32 ('exact') or f16 pairs ('fast'). */
export type Precision = 'exact' | 'fast';
export const PRECISIONS: readonly Precision[] = ['exact', 'fast'];
/** Ops whose weights are read through the conv kernels (linear is a 1x1 conv). */
export const HALF_WEIGHT_OPS: ReadonlySet<string> = new Set(['conv2d', 'linear']);

/**
 * Whether every weight rounds to a finite f16 value (|w| < 65520, the midpoint between f16's
 * largest value 65504 and 2^16); a layer with a weight beyond keeps reading f32.
 */
export function fitsHalf(weights: Float32Array): boolean {
  for (const w of weights) if (!(Math.abs(w) < 65520)) return false;
  return true;
}

/** The buffer that holds `count` weights as f16 pairs (4 bytes per pair, at least 16). */
export function createHalfWeightBuffer(device: GPUDevice, count: number, label: string): GPUBuffer {
  return device.createBuffer({
    label: `${label}.weight.f16`,
    size: Math.max(16, Math.ceil((Math.ceil(count / 2) * 4) / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
}

/** Packs `count` f32 weights of `src` into `dst` (round to nearest even; see pack_f16.wgsl). */
export function packHalfDispatch(k: Kernels, src: GPUBuffer, dst: GPUBuffer, count: number, label: string): Dispatch {
  return k.dispatch({
    label: `${label}.packF16`,
    shader: 'conv2d/pack_f16',
    uniforms: [count],
    buffers: [src, dst],
    threads: [Math.ceil(count / 2)],
  });
}

/** A clear message for a precision that is neither 'exact' nor 'fast'. */
export function checkPrecision(p: unknown): Precision {
  if (!(PRECISIONS as readonly unknown[]).includes(p)) throw new Error(`precision must be ${PRECISIONS.map((x) => `'${x}'`).join(' or ')}, got ${JSON.stringify(p)}`);
  return p as Precision;
}
