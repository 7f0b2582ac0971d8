// conv2d: NCHW convolution with stride, padding (asymmetric with padEnd, as ONNX pads), dilation
// and groups (torch.nn.Conv2d). GPU: kernel families per pass, register-blocked
// (shaders/conv2d/{forward,backward_input,backward_weight}.wgsl), workgroup-tiled (*_tiled.wgsl,
// tiles of 32 or 64) and explicit GEMM (conv2dGemm.ts), picked per adapter and shape class by
// engine/tuning.ts; bias gradient via
// common/channel_sum. Forward and backward to input read f16-packed weights when the layer has
// them (halfWeight, engine precision 'fast'). Also the engine of `linear` (a 1x1 conv on a 1x1 map).

import type { OpDescriptor, GpuLayerBuffers, GpuBackwardBuffers, GpuWeightGradBuffers } from './types';
import type { Kernels, Dispatch } from '../engine/kernels';
import { int, pair, padEndAttr, rejectUnknown, windowOutLen, shapeStr } from './attrs';
import { chw, convUniforms } from './grid';
import { conv2dForward, conv2dBackward, type ConvGeometry } from './reference/conv2d';
import { gemmForwardDispatches, gemmBackwardInputDispatches, gemmWeightGradDispatches } from './conv2dGemm';

/**
 * The kernel families of every conv pass: register blocks only, workgroup-memory tiles of 32 or 64,
 * or im2col and a dense register-blocked GEMM.
 */
export const CONV_VARIANTS = ['blocked', 'tiled', 'tiled64', 'gemm'] as const;
export type ConvVariant = (typeof CONV_VARIANTS)[number];
export type ConvPass = 'forward' | 'backwardInput' | 'backwardWeight';
/** The family of layers the GEMM serves badly (see defaultConvVariant), and the bench's baseline. */
export const DEFAULT_CONV_VARIANT: ConvVariant = 'blocked';

/**
 * The family used when no measurement has chosen one, from timings on SwiftShader (docs/benchmarks.md):
 * the explicit GEMM, 1.2-30x faster than the register-blocked family on the built-in models' layers
 * and on ImageNet-size conv, 1x1 and fully connected layers, except where its matrices are thin:
 * depthwise and other groups of fewer than 4 channels (the 8x8 tile idles) and kernel gradients
 * summed over fewer than 8 positions (a fully connected layer at batch 2).
 */
export function defaultConvVariant(pass: ConvPass, batch: number, inShape: number[], outShape: number[], g: ConvGeometry): ConvVariant {
  const [C] = chw(inShape);
  const [O, OH, OW] = chw(outShape);
  const cinG = C / g.groups, coutG = O / g.groups;
  if (coutG < 4 || cinG * g.kernel[0] * g.kernel[1] < 4) return 'blocked';
  if (pass === 'backwardWeight' && batch * OH * OW < 8) return 'blocked';
  return 'gemm';
}
/** Output tile edge of the register-blocked family and of each tiled one (TILE x TILE per (TILE/4)^2 invocations). */
const TILE: Record<Exclude<ConvVariant, 'gemm'>, number> = { blocked: 4, tiled: 32, tiled64: 64 };

/** Shader, defines and workgroup size of a tiled family (undefined for the register-blocked one). */
function tiledKernel(pass: ConvPass, v: Exclude<ConvVariant, 'gemm'>): { shader: string; defines: { TILE: number }; workgroupSize: number } | undefined {
  if (v === 'blocked') return undefined;
  return { shader: `${SHADER[pass]}_tiled`, defines: { TILE: TILE[v] }, workgroupSize: (TILE[v] / 4) ** 2 };
}

/**
 * The weights forward and backward to input read, and the define that says how
 * (shaders/conv2d/weights.wgsl): the packed f16 copy when the layer has one, else f32.
 */
function weightsRead(b: GpuLayerBuffers): { buffer: GPUBuffer; defines: { F16_WEIGHTS: boolean } } {
  return b.halfWeight ? { buffer: b.halfWeight, defines: { F16_WEIGHTS: true } } : { buffer: b.params.weight, defines: { F16_WEIGHTS: false } };
}

const SHADER: Record<ConvPass, string> = {
  forward: 'conv2d/forward',
  backwardInput: 'conv2d/backward_input',
  backwardWeight: 'conv2d/backward_weight',
};

/**
 * The shape class a choice of family is kept for: the pass, the layer's geometry, the batch
 * rounded up to a power of two (timings barely move within it), and ':f16' when the pass reads
 * f16-packed weights (forward and backward to input in precision 'fast': other kernels win there).
 */
export function convShapeClass(pass: ConvPass, batch: number, inShape: number[], outShape: number[], g: ConvGeometry, half = false): string {
  const [C, H, W] = chw(inShape);
  const [O, OH, OW] = chw(outShape);
  const b = 2 ** Math.ceil(Math.log2(Math.max(1, batch)));
  const f16 = half && pass !== 'backwardWeight' ? ':f16' : '';
  return `conv2d.${pass}:${C}x${H}x${W}>${O}x${OH}x${OW}:k${g.kernel}:s${g.stride}:p${g.padding}:d${g.dilation}:g${g.groups}:b${b}${f16}`;
}

/** The family Kernels names for this pass and shape; a name conv does not know falls back to the default. */
function variantOf(k: Kernels, pass: ConvPass, batch: number, inShape: number[], outShape: number[], g: ConvGeometry, half = false): ConvVariant {
  const fallback = defaultConvVariant(pass, batch, inShape, outShape, g);
  const v = k.variantFor(convShapeClass(pass, batch, inShape, outShape, g, half), fallback);
  return (CONV_VARIANTS as readonly string[]).includes(v) ? (v as ConvVariant) : fallback;
}

export function convGeometry(attrs: Record<string, unknown>): ConvGeometry {
  return attrs as unknown as ConvGeometry;
}

export function convForwardDispatch(
  k: Kernels, b: GpuLayerBuffers, g: ConvGeometry, label: string,
  variant = variantOf(k, 'forward', b.batch, b.inputShapes[0], b.outShape, g, !!b.halfWeight),
): Dispatch[] {
  if (variant === 'gemm') return gemmForwardDispatches(k, b, g, label);
  const [, OH, OW] = chw(b.outShape);
  const [O] = chw(b.outShape);
  const [C] = chw(b.inputShapes[0]);
  const positions = b.batch * OH * OW;
  const coutG = O / g.groups;
  const bias = b.params.bias;
  const tiled = tiledKernel('forward', variant);
  const edge = TILE[variant];
  const weights = weightsRead(b);
  return [k.dispatch({
    label: `${label}.forward`,
    shader: tiled?.shader ?? SHADER.forward,
    defines: { ...tiled?.defines, ...weights.defines },
    workgroupSize: tiled?.workgroupSize,
    uniforms: [...convUniforms(b.batch, b.inputShapes[0], b.outShape, g), bias ? 1 : 0],
    buffers: [b.inputs[0], weights.buffer, bias ?? k.empty, b.output],
    threads: [Math.ceil(positions / edge) * (tiled?.workgroupSize ?? 1), g.groups * Math.ceil(coutG / edge)],
    flops: 2 * positions * O * (C / g.groups) * g.kernel[0] * g.kernel[1],
  })];
}

export function convBackwardDispatch(
  k: Kernels, b: GpuBackwardBuffers, g: ConvGeometry, label: string,
  variant = variantOf(k, 'backwardInput', b.batch, b.inputShapes[0], b.outShape, g, !!b.halfWeight),
): Dispatch[] {
  const dx = b.gradInputs[0];
  if (!dx) return [];
  if (variant === 'gemm') return gemmBackwardInputDispatches(k, b, g, label);
  const [C, H, W] = chw(b.inputShapes[0]);
  const [O, OH, OW] = chw(b.outShape);
  const cinG = C / g.groups;
  const tiled = tiledKernel('backwardInput', variant);
  const edge = TILE[variant];
  const weights = weightsRead(b);
  return [
    k.dispatch({
      label: `${label}.backwardInput`,
      shader: tiled?.shader ?? SHADER.backwardInput,
      defines: { ...(tiled?.defines ?? { STRIDED: g.stride[0] > 1 || g.stride[1] > 1 }), ...weights.defines },
      workgroupSize: tiled?.workgroupSize,
      uniforms: [...convUniforms(b.batch, b.inputShapes[0], b.outShape, g), b.accumulate[0] ? 1 : 0],
      buffers: [b.gradOutput, weights.buffer, dx],
      threads: [Math.ceil((b.batch * H * W) / edge) * (tiled?.workgroupSize ?? 1), g.groups * Math.ceil(cinG / edge)],
      flops: 2 * b.batch * OH * OW * O * cinG * g.kernel[0] * g.kernel[1],
    }),
  ];
}

/** How many slices of the batch a summed kernel gradient is split into (parallelism: about `invocations` in all). */
function weightGradSlices(k: Kernels, batch: number, tiles: number, invocations: number): number {
  const wanted = Math.ceil(invocations / Math.max(1, tiles));
  return Math.max(1, Math.min(batch, wanted, k.maxWorkgroupsPerDim));
}

export function convWeightGradDispatch(
  k: Kernels, b: GpuWeightGradBuffers, g: ConvGeometry, label: string,
  variant = variantOf(k, 'backwardWeight', b.batch, b.inputShapes[0], b.outShape, g),
): Dispatch[] {
  // Per-image kernel gradients (one GEMM per image) are left to the register-blocked family.
  const out = variant === 'gemm' && !b.perImage
    ? gemmWeightGradDispatches(k, b, g, label)
    : kernelGradDispatches(k, b, g, label, variant === 'gemm' ? 'blocked' : variant);
  if (b.gradParams.bias) {
    out.push(
      k.dispatch({
        label: `${label}.biasGrad`,
        shader: 'common/channel_sum',
        defines: { PRODUCT: false },
        uniforms: [b.batch, chw(b.outShape)[0], chw(b.outShape)[1] * chw(b.outShape)[2], b.perImage ? 1 : b.batch],
        buffers: [b.gradOutput, b.gradParams.bias],
        threads: [chw(b.outShape)[0] * 64, b.perImage ? b.batch : 1],
      }),
    );
  }
  return out;
}

/** The kernel gradient of the register-blocked and tiled families (summed over the batch in slices, or per image). */
function kernelGradDispatches(k: Kernels, b: GpuWeightGradBuffers, g: ConvGeometry, label: string, variant: Exclude<ConvVariant, 'gemm'>): Dispatch[] {
  const [C] = chw(b.inputShapes[0]);
  const [O, OH, OW] = chw(b.outShape);
  const cinG = C / g.groups;
  const coutG = O / g.groups;
  const kLen = cinG * g.kernel[0] * g.kernel[1];
  const tiled = tiledKernel('backwardWeight', variant);
  const edge = TILE[variant];
  const tilesX = Math.ceil(kLen / edge);
  const tilesY = g.groups * Math.ceil(coutG / edge);
  // Register blocks: about 16k invocations in all; tiles: about 1k workgroups.
  const slices = b.perImage ? b.batch : weightGradSlices(k, b.batch, tilesX * tilesY, tiled ? 1024 : 16384);
  const imagesPerSlice = Math.ceil(b.batch / slices);
  const nSlices = Math.ceil(b.batch / imagesPerSlice);
  const weightLen = O * kLen;
  const direct = b.perImage || nSlices === 1;
  const target = direct ? b.gradParams.weight : k.scratch(nSlices * weightLen * 4, `${label}.weightGradSlices`);
  const out: Dispatch[] = [
    k.dispatch({
      label: `${label}.backwardWeight`,
      ...(tiled ?? { shader: SHADER.backwardWeight }),
      uniforms: [...convUniforms(b.batch, b.inputShapes[0], b.outShape, g), imagesPerSlice],
      buffers: [b.gradOutput, b.inputs[0], target],
      threads: [tilesX * (tiled?.workgroupSize ?? 1), tilesY, nSlices],
      flops: 2 * b.batch * OH * OW * O * kLen,
    }),
  ];
  if (!direct) {
    out.push(
      k.dispatch({
        label: `${label}.sumWeightGradSlices`,
        shader: 'common/sum_slices',
        uniforms: [weightLen, nSlices, 0],
        buffers: [target, b.gradParams.weight],
        threads: [weightLen],
      }),
    );
  }
  return out;
}

export const conv2d: OpDescriptor = {
  op: 'conv2d',
  arity: 1,
  paramNames: ['weight', 'bias'],
  requiredParams: ['weight'],
  perImageWeightGrads: true,
  channelFlow: (attrs) => {
    const g = convGeometry(attrs);
    return { kind: 'kernels', groups: g.groups, window: { kernel: g.kernel, stride: g.stride, padding: g.padding, dilation: g.dilation } };
  },
  parseAttrs(raw) {
    rejectUnknown(raw, ['kernel', 'stride', 'padding', 'padEnd', 'dilation', 'groups']);
    const padding = pair(raw, 'padding', [0, 0], 0);
    return {
      kernel: pair(raw, 'kernel', undefined, 1),
      stride: pair(raw, 'stride', [1, 1], 1),
      padding,
      ...padEndAttr(raw, padding),
      dilation: pair(raw, 'dilation', [1, 1], 1),
      groups: int(raw, 'groups', 1, 1),
    };
  },
  inferShape([inShape], attrs, params) {
    const g = convGeometry(attrs);
    if (inShape.length !== 3) throw new Error(`conv2d needs a [C, H, W] input, got ${shapeStr(inShape)}`);
    const [C, H, W] = inShape;
    const w = params.weight;
    if (w.length !== 4) throw new Error(`weight must be 4-D [out, in/groups, kh, kw], got ${shapeStr(w)}`);
    const [O, Cg, KH, KW] = w;
    if (C % g.groups !== 0 || O % g.groups !== 0)
      throw new Error(`groups=${g.groups} must divide input channels ${C} and output channels ${O}`);
    if (Cg !== C / g.groups)
      throw new Error(`weight ${shapeStr(w)} expects ${Cg * g.groups} input channels but the input has ${C}`);
    if (KH !== g.kernel[0] || KW !== g.kernel[1])
      throw new Error(`weight ${shapeStr(w)} does not match kernel ${shapeStr(g.kernel)}`);
    if (params.bias && (params.bias.length !== 1 || params.bias[0] !== O))
      throw new Error(`bias must be [${O}], got ${shapeStr(params.bias)}`);
    const padEnd = g.padEnd ?? g.padding;
    const OH = windowOutLen(H, KH, g.stride[0], g.padding[0], g.dilation[0], false, padEnd[0]);
    const OW = windowOutLen(W, KW, g.stride[1], g.padding[1], g.dilation[1], false, padEnd[1]);
    if (OH < 1 || OW < 1) throw new Error(`kernel ${shapeStr(g.kernel)} does not fit the input ${shapeStr(inShape)}`);
    return [O, OH, OW];
  },
  cpuForward({ inputs, params, attrs, outShape }) {
    return conv2dForward(inputs[0], params.weight, params.bias, outShape, convGeometry(attrs));
  },
  cpuBackward({ inputs, params, attrs, gradOutput }) {
    const r = conv2dBackward(inputs[0], params.weight, !!params.bias, gradOutput, convGeometry(attrs));
    const grads: Record<string, Float64Array> = { weight: r.dw };
    if (r.db) grads.bias = r.db;
    return { inputs: [r.dx], params: grads };
  },
  gpuForward: (k, b, attrs) => convForwardDispatch(k, b, convGeometry(attrs), b.name),
  gpuBackward: (k, b, attrs) => convBackwardDispatch(k, b, convGeometry(attrs), b.name),
  gpuWeightGrads: (k, b, attrs) => convWeightGradDispatch(k, b, convGeometry(attrs), b.name),
};
