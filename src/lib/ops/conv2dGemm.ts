// Conv family "gemm": every conv pass as explicit layout passes around one dense GEMM
// (shaders/conv2d/gemm*.wgsl): forward = kernels x im2col, backward to input = kernels^T x dY then
// col2im, backward to kernels = dY x im2col^T. The flattened (image, position) index is cut into
// chunks whose matrices fit in a few MiB, shared by the layers of a plan (Kernels.sharedScratch).

import type { GpuLayerBuffers, GpuBackwardBuffers, GpuWeightGradBuffers } from './types';
import type { Kernels, Dispatch } from '../engine/kernels';
import type { ConvGeometry } from './reference/conv2d';
import { chw, convUniforms } from './grid';

/**
 * Floats of the largest chunk matrix (16 MiB), and how backward to input runs at stride 1 ('auto':
 * as a conv of dY where the layer has no more output than input channels, else through col2im).
 * Tests lower the limit to cut small problems into many chunks and force each route.
 */
export const gemmLimits: { chunkFloats: number; backwardInput: 'auto' | 'flipped' | 'col2im' } = { chunkFloats: 1 << 22, backwardInput: 'auto' };
/** Invocations per workgroup of the GEMM (the matmul yardstick's best on software adapters). */
const GEMM_WORKGROUP = 16;

const up4 = (n: number) => Math.ceil(n / 4) * 4;

interface Dims {
  C: number; O: number; outPlane: number; total: number;
  groups: number; cinG: number; coutG: number;
  /** Rows of a group's patch matrix: input channels of the group x kernel taps. */
  rowsG: number;
}

function dims(batch: number, inShape: number[], outShape: number[], g: ConvGeometry): Dims {
  const [C] = chw(inShape);
  const [O, OH, OW] = chw(outShape);
  const cinG = C / g.groups;
  return {
    C, O, outPlane: OH * OW, total: batch * OH * OW, groups: g.groups, cinG, coutG: O / g.groups,
    rowsG: cinG * g.kernel[0] * g.kernel[1],
  };
}

/** A run of the flattened positions: the first, how many, and the padded column count of its matrices. */
type Chunk = { p0: number; len: number; ncp: number };

/** Chunks of the flattened positions: columns per chunk (a multiple of 4) so `floatsPerColumn` x columns fits. */
export function gemmChunks(total: number, floatsPerColumn: number): Chunk[] {
  const ncp = Math.min(up4(total), Math.max(4, Math.floor(gemmLimits.chunkFloats / floatsPerColumn / 4) * 4));
  const out: Chunk[] = [];
  for (let p0 = 0; p0 < total; p0 += ncp) out.push({ p0, len: Math.min(ncp, total - p0), ncp });
  return out;
}

/**
 * One chunk of the input's patch matrix (conv2d/gemm_im2col) in the shared 'gemm.col' scratch:
 * [g][kp][ncp], or [g][ncp][kp] transposed (backward to kernels).
 */
function im2col(k: Kernels, label: string, x: GPUBuffer, geo: number[], d: Dims, c: Chunk, transposed: boolean): { buf: GPUBuffer; dispatch: Dispatch } {
  const kp = up4(d.rowsG);
  const buf = k.sharedScratch('gemm.col', d.groups * kp * c.ncp * 4);
  const dispatch = k.dispatch({
    label: `${label}.${transposed ? 'im2colT' : 'im2col'}`, shader: 'conv2d/gemm_im2col', defines: { TRANSPOSED: transposed },
    uniforms: [...geo, c.p0, c.len, kp, c.ncp, 0], buffers: [x, buf], threads: [d.groups * (c.ncp / 4)],
  });
  return { buf, dispatch };
}

/**
 * The GEMM of one chunk: C[g] (M x n4*4) = A[g] (M x k4*4) B[g] (k4*4 x n4*4) for every group;
 * `strides`: floats from one group's A, B and C to the next's.
 */
function gemm(
  k: Kernels, label: string, d: Dims, M: number, n4: number, k4: number, strides: [number, number, number], bufs: GPUBuffer[], flops: number,
): Dispatch {
  return k.dispatch({
    label, shader: 'conv2d/gemm', workgroupSize: GEMM_WORKGROUP,
    uniforms: [M, n4, k4, ...strides.map((s) => s / 4)], buffers: bufs,
    threads: [Math.ceil(M / 8) * Math.ceil(n4 / 2), d.groups], flops,
  });
}

type WeightLayout = 'rows' | 'transposed' | 'flipped';

/**
 * The kernels as the GEMM's left operand and the dispatch writing them: 'rows' [g][coutG][Kp]
 * (forward), 'transposed' [g][rowsG][Cop] (col2im), 'flipped' [C][up4(coutG * taps)] (dY conv).
 */
function packWeights(k: Kernels, b: GpuLayerBuffers, d: Dims, g: ConvGeometry, label: string, layout: WeightLayout): { buf: GPUBuffer; dispatch: Dispatch } {
  const taps = g.kernel[0] * g.kernel[1];
  const padded = layout === 'transposed' ? up4(d.coutG) : layout === 'flipped' ? up4(d.coutG * taps) : up4(d.rowsG);
  const len = layout === 'transposed' ? d.groups * d.rowsG * padded : layout === 'flipped' ? d.C * padded : d.O * padded;
  const buf = k.sharedScratch('gemm.weights', len * 4);
  const dispatch = k.dispatch({
    label: `${label}.weights`, shader: 'conv2d/gemm_weights',
    defines: { TRANSPOSED: layout === 'transposed', FLIPPED: layout === 'flipped', F16_WEIGHTS: !!b.halfWeight },
    uniforms: [d.groups, d.coutG, d.rowsG, padded, d.cinG, g.kernel[0], g.kernel[1]],
    buffers: [buf, b.halfWeight ?? b.params.weight], threads: [len],
  });
  return { buf, dispatch };
}

/**
 * A forward conv through im2col and the GEMM, chunk by chunk, with the kernels already laid out
 * [O][Kp] in `weights`: output = conv(input) (+ bias), or added to what `output` holds (accumulate).
 */
function convByGemm(
  k: Kernels, label: string, batch: number, input: GPUBuffer, inShape: number[], output: GPUBuffer, outShape: number[],
  g: ConvGeometry, weights: GPUBuffer, bias: GPUBuffer | undefined, accumulate: boolean, flops: number,
): Dispatch[] {
  const d = dims(batch, inShape, outShape, g);
  const geo = convUniforms(batch, inShape, outShape, g);
  const kp = up4(d.rowsG);
  const out: Dispatch[] = [];
  for (const c of gemmChunks(d.total, d.groups * Math.max(kp, d.coutG))) {
    const col = im2col(k, label, input, geo, d, c, false);
    const prod = k.sharedScratch('gemm.product', d.O * c.ncp * 4);
    out.push(
      col.dispatch,
      gemm(k, `${label}.gemm`, d, d.coutG, c.ncp / 4, kp / 4, [d.coutG * kp, kp * c.ncp, d.coutG * c.ncp], [weights, col.buf, prod], (flops * c.len) / d.total),
      k.dispatch({
        label: `${label}.storeOutput`, shader: 'conv2d/gemm_store_output',
        uniforms: [...geo, c.p0, c.len, d.coutG, c.ncp, (bias ? 1 : 0) | (accumulate ? 2 : 0)],
        buffers: [prod, bias ?? k.empty, output], threads: [c.len],
      }),
    );
  }
  return out;
}

export function gemmForwardDispatches(k: Kernels, b: GpuLayerBuffers, g: ConvGeometry, label: string): Dispatch[] {
  const d = dims(b.batch, b.inputShapes[0], b.outShape, g);
  const w = packWeights(k, b, d, g, `${label}.forward`, 'rows');
  const flops = 2 * d.total * d.O * d.rowsG;
  return [w.dispatch, ...convByGemm(k, `${label}.forward`, b.batch, b.inputs[0], b.inputShapes[0], b.output, b.outShape, g, w.buf, b.params.bias, false, flops)];
}

/**
 * Backward to input at stride 1 is a forward conv of dY with the kernels transposed and rotated
 * 180 degrees, padded by dilation x (kernel - 1) - padding at the start: the same long-reduction
 * GEMM as forward, no col2im. Null where that padding would be negative.
 */
function flippedGeometry(g: ConvGeometry): ConvGeometry | null {
  if (g.stride[0] !== 1 || g.stride[1] !== 1) return null;
  const padding: [number, number] = [0, 1].map((i) => g.dilation[i] * (g.kernel[i] - 1) - g.padding[i]) as [number, number];
  if (padding[0] < 0 || padding[1] < 0) return null;
  return { ...g, padding, padEnd: undefined };
}

/** dY of one chunk as [g][Cop][ncp] (both backward passes' operand). */
function packGrad(k: Kernels, dy: GPUBuffer, d: Dims, geo: number[], c: Chunk, label: string): { buf: GPUBuffer; dispatch: Dispatch } {
  const cop = up4(d.coutG);
  const buf = k.sharedScratch('gemm.grad', d.groups * cop * c.ncp * 4);
  const dispatch = k.dispatch({
    label: `${label}.packGrad`, shader: 'conv2d/gemm_pack_grad',
    uniforms: [...geo, c.p0, c.len, cop, c.ncp, 0], buffers: [dy, buf], threads: [d.groups * c.ncp],
  });
  return { buf, dispatch };
}

export function gemmBackwardInputDispatches(k: Kernels, b: GpuBackwardBuffers, g: ConvGeometry, label: string): Dispatch[] {
  const dx = b.gradInputs[0];
  if (!dx) return [];
  const d = dims(b.batch, b.inputShapes[0], b.outShape, g);
  const flops = 2 * d.total * d.O * d.rowsG;
  // Measured on SwiftShader: the dY conv wins where its patch matrix (coutG x taps rows) is not
  // the larger one, col2im elsewhere (AlexNet conv3, 192 -> 384: 80 ms against 145 ms).
  const route = gemmLimits.backwardInput;
  const flipped = route === 'flipped' || (route === 'auto' && d.coutG <= d.cinG) ? flippedGeometry(g) : null;
  if (flipped) {
    const w = packWeights(k, b, d, g, `${label}.backwardInput`, 'flipped');
    return [w.dispatch, ...convByGemm(k, `${label}.backwardInput`, b.batch, b.gradOutput, b.outShape, dx, b.inputShapes[0], flipped, w.buf, undefined, b.accumulate[0], flops)];
  }
  const geo = convUniforms(b.batch, b.inputShapes[0], b.outShape, g);
  const [, H, W] = chw(b.inputShapes[0]);
  const cop = up4(d.coutG);
  const w = packWeights(k, b, d, g, `${label}.backwardInput`, 'transposed');
  const out: Dispatch[] = [w.dispatch];
  for (const c of gemmChunks(d.total, d.groups * Math.max(cop, d.rowsG))) {
    const grad = packGrad(k, b.gradOutput, d, geo, c, label);
    const dcol = k.sharedScratch('gemm.col', d.groups * d.rowsG * c.ncp * 4);
    const imagesTouched = Math.floor((c.p0 + c.len - 1) / d.outPlane) - Math.floor(c.p0 / d.outPlane) + 1;
    out.push(
      grad.dispatch,
      gemm(k, `${label}.backwardInput.gemm`, d, d.rowsG, c.ncp / 4, cop / 4, [d.rowsG * cop, cop * c.ncp, d.rowsG * c.ncp], [w.buf, grad.buf, dcol], (flops * c.len) / d.total),
      k.dispatch({
        label: `${label}.col2im`, shader: 'conv2d/gemm_col2im',
        uniforms: [...geo, c.p0, c.len, d.rowsG, c.ncp, b.accumulate[0] ? 1 : 0],
        buffers: [dcol, dx], threads: [imagesTouched * d.C * H * Math.ceil(W / 4)],
      }),
    );
  }
  return out;
}

/** The kernel gradient summed over the batch (per-image gradients are left to the other families). */
export function gemmWeightGradDispatches(k: Kernels, b: GpuWeightGradBuffers, g: ConvGeometry, label: string): Dispatch[] {
  const d = dims(b.batch, b.inputShapes[0], b.outShape, g);
  const geo = convUniforms(b.batch, b.inputShapes[0], b.outShape, g);
  const kp = up4(d.rowsG);
  const cop = up4(d.coutG);
  const prod = k.sharedScratch('gemm.product', d.O * kp * 4);
  const out: Dispatch[] = [];
  gemmChunks(d.total, d.groups * Math.max(kp, cop)).forEach((c, i) => {
    const grad = packGrad(k, b.gradOutput, d, geo, c, label);
    const colT = im2col(k, label, b.inputs[0], geo, d, c, true);
    out.push(
      grad.dispatch,
      colT.dispatch,
      // A group's dY block has `cop` rows; its first coutG are the GEMM's M rows.
      gemm(k, `${label}.backwardWeight.gemm`, d, d.coutG, kp / 4, c.ncp / 4, [cop * c.ncp, c.ncp * kp, d.coutG * kp], [grad.buf, colT.buf, prod], 2 * c.len * d.O * d.rowsG),
      k.dispatch({
        label: `${label}.storeWeightGrad`, shader: 'conv2d/gemm_store_weights',
        uniforms: [d.O, d.rowsG, kp, i > 0 ? 1 : 0], buffers: [prod, b.gradParams.weight], threads: [d.O * d.rowsG],
      }),
    );
  });
  return out;
}

/** One chunk of a layer's patch matrix ([g][Kp][ncp]) and output gradient ([g][Cop][ncp]), for reductions over positions. */
export interface PatchChunk {
  chunk: Chunk;
  /** Rows of a group's patch matrix (input channels x taps, padded to 4) and of its gradient block. */
  kp: number;
  cop: number;
  col: GPUBuffer;
  grad: GPUBuffer;
  dispatches: Dispatch[];
}

/**
 * The layer's patch matrix and output gradient, chunk by chunk, as the actgrad reduction's "gemm"
 * family reads them (circuits/actgradEdges.ts).
 */
export function patchChunks(
  k: Kernels, label: string, batch: number, x: GPUBuffer, inShape: number[], dy: GPUBuffer, outShape: number[], g: ConvGeometry,
): PatchChunk[] {
  const d = dims(batch, inShape, outShape, g);
  const geo = convUniforms(batch, inShape, outShape, g);
  const kp = up4(d.rowsG);
  const cop = up4(d.coutG);
  return gemmChunks(d.total, d.groups * Math.max(kp, cop)).map((c) => {
    const col = im2col(k, label, x, geo, d, c, false);
    const grad = packGrad(k, dy, d, geo, c, label);
    return { chunk: c, kp, cop, col: col.buf, grad: grad.buf, dispatches: [col.dispatch, grad.dispatch] };
  });
}
