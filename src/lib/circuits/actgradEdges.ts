// The actgrad edge reduction (sum over images and positions of |edge map x gradient|) as GPU
// dispatches, in two kernel families picked per adapter and shape class by measurement
// (circuits/tuningSaliency.ts): "blocked" (saliency/actgrad_edges: one invocation per 4x4 tile of
// edges, no workgroup memory), "split" (saliency/actgrad_edges_split: one workgroup per tile
// and slice of images, reduced with subgroups where the device has them) and "gemm"
// (saliency/actgrad_edges_gemm: from the layer's patch matrix, 8 edges x 4 positions a step;
// kernels of at most 9 taps). Also its f64 oracle.

import type { Kernels, Dispatch } from '../engine/kernels';
import type { ConvGeometry } from '../ops/reference/conv2d';
import type { KernelLayer } from '../graph/types';
import { patchChunks } from '../ops/conv2dGemm';

export const SALIENCY_VARIANTS = ['blocked', 'split', 'gemm'] as const;
export type SaliencyVariant = (typeof SALIENCY_VARIANTS)[number];
/**
 * The family used when no measurement has chosen one: "gemm", 4-12x faster than "blocked" on
 * SwiftShader on every fashion-vgg layer (docs/benchmarks.md); kernels of more than 9 taps run
 * "blocked" through it.
 */
export const DEFAULT_SALIENCY_VARIANT: SaliencyVariant = 'gemm';
/**
 * Invocations per workgroup of the split family: four of the adapter's widest subgroups (16 on
 * SwiftShader's 4-wide ones, 128 on 32-wide GPUs), within 16..128; 64 where the adapter does not
 * say. A power of two (the tree reduction halves it), at least 16 (one invocation per edge of the tile).
 */
export function splitWorkgroupSize(k: Kernels): number {
  const width = k.subgroupSize;
  if (!(width > 0)) return 64;
  return Math.min(128, Math.max(16, 2 ** Math.ceil(Math.log2(4 * width))));
}

/** One kernel layer's reduction at one batch size: input map, output map, window. */
export interface ActgradShape {
  batch: number;
  inShape: [number, number, number];
  outShape: [number, number, number];
  g: ConvGeometry;
}

/** A graph kernel layer's reduction at `batch` images (a linear layer: its whole-channel window). */
export function actgradShapeOf(s: KernelLayer, batch: number): ActgradShape {
  return { batch, inShape: s.inMap, outShape: s.outMap, g: s.geometry };
}

/** GPU buffers of one reduction: layer input x, weights w, output gradient g, and where the sums go ([O, C/groups]). */
export interface ActgradBuffers {
  x: GPUBuffer;
  w: GPUBuffer;
  g: GPUBuffer;
  target: GPUBuffer;
}

/** The shape class a choice of family is kept for: the geometry and the batch rounded up to a power of two. */
export function actgradShapeClass(s: ActgradShape): string {
  const [C, H, W] = s.inShape;
  const [O, OH, OW] = s.outShape;
  const g = s.g;
  const b = 2 ** Math.ceil(Math.log2(Math.max(1, s.batch)));
  return `saliency.actgradEdges:${C}x${H}x${W}>${O}x${OH}x${OW}:k${g.kernel}:s${g.stride}:p${g.padding}:d${g.dilation}:g${g.groups}:b${b}`;
}

/** The family Kernels names for this shape; a name this pass does not know falls back to the default. */
function variantOf(k: Kernels, s: ActgradShape): SaliencyVariant {
  const v = k.variantFor(actgradShapeClass(s), DEFAULT_SALIENCY_VARIANT);
  return (SALIENCY_VARIANTS as readonly string[]).includes(v) ? (v as SaliencyVariant) : DEFAULT_SALIENCY_VARIANT;
}

/** Slices of the batch: blocked aims at about 8k invocations in all, split at about 512 workgroups of work enough each. */
function sliceCount(v: SaliencyVariant, s: ActgradShape, tiles: number, wg: number): number {
  if (v === 'blocked') return Math.max(1, Math.min(s.batch, Math.ceil(8192 / tiles)));
  const plane = s.outShape[1] * s.outShape[2];
  const byWork = Math.floor((s.batch * plane) / wg);
  return Math.max(1, Math.min(s.batch, Math.ceil(512 / tiles), byWork));
}

/**
 * The reduction's dispatches: per-slice sums into a scratch buffer, then the slices added into
 * `bufs.target` (which accumulates over batches).
 */
export function actgradEdgeDispatches(k: Kernels, s: ActgradShape, bufs: ActgradBuffers, label: string, variant = variantOf(k, s)): Dispatch[] {
  if (variant === 'gemm' && s.g.kernel[0] * s.g.kernel[1] <= GEMM_MAX_TAPS) return gemmActgradDispatches(k, s, bufs, label);
  if (variant === 'gemm') variant = 'blocked';
  const [C, H, W] = s.inShape;
  const [O, OH, OW] = s.outShape;
  const g = s.g;
  const cinG = C / g.groups;
  const tilesX = Math.ceil(cinG / 4);
  const tilesY = g.groups * Math.ceil(O / g.groups / 4);
  const split = variant === 'split';
  const wg = split ? splitWorkgroupSize(k) : 1;
  const perSlice = Math.ceil(s.batch / sliceCount(variant, s, tilesX * tilesY, wg));
  const nSlices = Math.ceil(s.batch / perSlice);
  const len = O * cinG;
  const partial = k.scratch(nSlices * len * 4, `${label}.actgradSlices`);
  const regWeights = g.kernel[0] * g.kernel[1] <= 9;
  return [
    k.dispatch({
      label: `${label}.actgradEdges`,
      shader: split ? 'saliency/actgrad_edges_split' : 'saliency/actgrad_edges',
      defines: split ? { REG_WEIGHTS: regWeights, SUBGROUPS: k.subgroups } : { REG_WEIGHTS: regWeights },
      uniforms: [s.batch, C, H, W, O, OH, OW, g.groups, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
        g.padding[0], g.padding[1], g.dilation[0], g.dilation[1], perSlice],
      buffers: [bufs.x, bufs.w, bufs.g, partial],
      threads: [tilesX * wg, tilesY, nSlices],
      workgroupSize: split ? wg : undefined,
      flops: 2 * s.batch * OH * OW * len * g.kernel[0] * g.kernel[1],
    }),
    k.dispatch({
      label: `${label}.sumActgradSlices`, shader: 'common/sum_slices',
      uniforms: [len, nSlices, 1], buffers: [partial, bufs.target], threads: [len],
    }),
  ];
}

/** Kernel taps the "gemm" family holds in registers; larger kernels run the blocked family. */
const GEMM_MAX_TAPS = 9;

/**
 * The "gemm" family: per chunk of positions, the patch matrix and gradient (ops/conv2dGemm.ts),
 * the reduction into per-slice sums, and the slices added into `bufs.target`.
 */
function gemmActgradDispatches(k: Kernels, s: ActgradShape, bufs: ActgradBuffers, label: string): Dispatch[] {
  const [C] = s.inShape;
  const [O, OH, OW] = s.outShape;
  const { groups } = s.g;
  const cinG = C / groups, coutG = O / groups, taps = s.g.kernel[0] * s.g.kernel[1];
  const len = O * cinG;
  const tiles = groups * cinG * Math.ceil(coutG / 8);
  const out: Dispatch[] = [];
  for (const m of patchChunks(k, label, s.batch, bufs.x, s.inShape, bufs.g, s.outShape, s.g)) {
    const quads = m.chunk.ncp / 4;
    // About 4k invocations in all, each with at least 16 steps.
    const slices = Math.max(1, Math.min(Math.ceil(4096 / tiles), Math.floor(quads / 16), k.maxWorkgroupsPerDim));
    const perSlice = Math.ceil(quads / slices);
    const nSlices = Math.ceil(quads / perSlice);
    const partial = k.sharedScratch('actgrad.partial', nSlices * len * 4);
    out.push(
      ...m.dispatches,
      k.dispatch({
        label: `${label}.actgradEdges`, shader: 'saliency/actgrad_edges_gemm',
        uniforms: [groups, cinG, coutG, taps, m.kp, m.cop, quads, perSlice],
        buffers: [m.col, m.grad, bufs.w, partial],
        threads: [tiles, nSlices],
        flops: 2 * m.chunk.len * len * taps,
      }),
      k.dispatch({
        label: `${label}.sumActgradSlices`, shader: 'common/sum_slices',
        uniforms: [len, nSlices, 1], buffers: [partial, bufs.target], threads: [len],
      }),
    );
  }
  return out;
}

/** Problem data of one reduction as the GPU sees it: x [N, C, H, W], w [O, C/groups, KH, KW], g [N, O, OH, OW]. */
export interface ActgradProblem extends ActgradShape {
  x: Float32Array<ArrayBuffer>;
  w: Float32Array<ArrayBuffer>;
  gy: Float32Array<ArrayBuffer>;
}

/**
 * Edge e = o * (C/groups) + j of the reduction in f64: sum over images and output positions of
 * |sum over taps of w x| * |g|, and the sum of |w x g| over its terms (the f32 rounding scale).
 */
export function actgradEdgeEntry(p: ActgradProblem, e: number): { value: number; scale: number } {
  const [C, H, W] = p.inShape;
  const [O, OH, OW] = p.outShape;
  const { kernel: [KH, KW], stride: [sh, sw], padding: [ph, pw], dilation: [dh, dw], groups } = p.g;
  const cinG = C / groups, coutG = O / groups;
  const o = Math.floor(e / cinG), j = e % cinG;
  const c = Math.floor(o / coutG) * cinG + j;
  let value = 0, scale = 0;
  for (let n = 0; n < p.batch; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let a = 0, mag = 0;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const t = p.w[((o * cinG + j) * KH + kh) * KW + kw] * p.x[((n * C + c) * H + ih) * W + iw];
      a += t;
      mag += Math.abs(t);
    }
    const gv = Math.abs(p.gy[((n * O + o) * OH + oh) * OW + ow]);
    value += Math.abs(a) * gv;
    scale += mag * gv;
  }
  return { value, scale };
}
