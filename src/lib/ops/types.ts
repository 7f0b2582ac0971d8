// The contract every op fulfils: attribute validation, shape inference, a CPU reference
// (f64, used as the oracle in tests) and its GPU encoding. One op = one descriptor file +
// one CPU reference + its WGSL files under shaders/<op>/ + one test table.

import type { Shape } from '../model/types';
import type { Kernels, Dispatch } from '../engine/kernels';

export type Attrs = Record<string, unknown>;

/** A batch of values on the CPU: data is batch-major, shape excludes the batch. */
export interface CpuTensor {
  batch: number;
  shape: Shape;
  data: Float64Array;
}

export interface CpuForwardArgs {
  inputs: CpuTensor[];
  params: Record<string, Float32Array>;
  attrs: Attrs;
  outShape: Shape;
}

export interface CpuBackwardArgs extends CpuForwardArgs {
  output: CpuTensor;
  gradOutput: CpuTensor;
}

export interface CpuGradients {
  /** d target / d input, one per input. */
  inputs: CpuTensor[];
  /** d target / d param, summed over the batch. */
  params: Record<string, Float64Array>;
}

/** GPU buffers of one layer for one plan (a fixed batch size). */
export interface GpuLayerBuffers {
  /** Layer name, used in labels. */
  name: string;
  batch: number;
  inputs: GPUBuffer[];
  inputShapes: Shape[];
  output: GPUBuffer;
  outShape: Shape;
  params: Record<string, GPUBuffer>;
  /**
   * The weight packed as f16 pairs (engine precision 'fast', engine/halfWeights.ts): conv
   * forward and backward to input read it instead of params.weight; absent in 'exact'.
   */
  halfWeight?: GPUBuffer;
  /** Extra per-layer buffers an op keeps between forward and backward (e.g. argmax). */
  aux: Record<string, GPUBuffer>;
}

export interface GpuBackwardBuffers extends GpuLayerBuffers {
  gradOutput: GPUBuffer;
  /** Gradient buffers of the inputs, or null where no gradient is needed. */
  gradInputs: (GPUBuffer | null)[];
  /** Whether each input's gradient adds to what is already there (branching). */
  accumulate: boolean[];
}

export interface GpuWeightGradBuffers extends GpuLayerBuffers {
  gradOutput: GPUBuffer;
  /** Output buffers for parameter gradients, keyed like params. */
  gradParams: Record<string, GPUBuffer>;
  /** Number of images summed per slice: 1 gives per-image gradients [batch, ...]. */
  perImage: boolean;
}

/**
 * A spatial window per axis [rows, cols]: output pixel y reads input pixels
 * y*stride - padding + dilation*[0, kernel - 1] (before clipping to the map).
 */
export interface SpatialWindow {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/**
 * How an op's output channels depend on its input channels, and over which pixels: the one
 * fact the graph, circuits, receptive fields and feature visualization read of an op
 * (src/lib/graph/build.ts). Plain data, so it travels to the page with the model summary.
 */
export type ChannelFlow =
  /**
   * Output channel c reads input channel c only: elementwise ops, pools, dropout. `window`:
   * null for the same pixel, 'adaptive' for adaptive pooling bins. `activation`: the op is a
   * filter's nonlinearity, so a filter's map is taken after it (seed 001).
   */
  | { kind: 'same'; window: SpatialWindow | 'adaptive' | null; activation?: boolean }
  /** Output channel c reads input channels c - before .. c + after (local response norm). */
  | { kind: 'neighbours'; before: number; after: number }
  /**
   * Filters: output channel o reads every input channel of its group through one kernel (an
   * edge of the graph); groups = input channels makes it depthwise. `window` 'whole': each
   * input channel is read whole, as one run of features (a linear layer after a flatten).
   */
  | { kind: 'kernels'; groups: number; window: SpatialWindow | 'whole' }
  /** Output channels are the inputs' channels, in order (channel concatenation). */
  | { kind: 'concat' }
  /** Output channel c sums channel c of every input (a residual junction). */
  | { kind: 'add' }
  /** A [C, H, W] map becomes C runs of H*W features; each run keeps its channel. */
  | { kind: 'flatten' }
  /** Every output channel reads every input channel (softmax across channels). */
  | { kind: 'all' };

export interface OpDescriptor {
  op: string;
  /**
   * The op's channel flow for its validated attributes and shapes. An op without it cannot
   * be loaded: a model using it is refused with a message naming the op.
   */
  channelFlow?(attrs: Attrs, inputShapes: Shape[], outShape: Shape): ChannelFlow;
  /** Whether the op takes the `redirect` attribute: the redirected gradient of early feature-visualization steps. */
  redirectsGradient?: boolean;
  /** Number of inputs: exact, or [min, max]. */
  arity: number | [number, number];
  /** Parameter names this op can take; required ones listed in requiredParams. */
  paramNames: string[];
  requiredParams: string[];
  /** Validates attributes and fills in defaults; throws Error with a plain message. */
  parseAttrs(raw: Attrs): Attrs;
  /** Output shape from input and parameter shapes; throws Error with a plain message. */
  inferShape(inputShapes: Shape[], attrs: Attrs, paramShapes: Record<string, Shape>): Shape;
  /** Whether the output may share the input's buffer (pure reshapes / identities). */
  aliasesInput?: boolean;
  /** Bytes per image of aux buffers the forward needs (name -> element count per image). */
  auxSizes?(inputShapes: Shape[], outShape: Shape, attrs: Attrs): Record<string, number>;
  cpuForward(args: CpuForwardArgs): CpuTensor;
  cpuBackward(args: CpuBackwardArgs): CpuGradients;
  gpuForward(k: Kernels, b: GpuLayerBuffers, attrs: Attrs): Dispatch[];
  gpuBackward(k: Kernels, b: GpuBackwardBuffers, attrs: Attrs): Dispatch[];
  /** Whether gpuWeightGrads can keep one gradient per image (conv2d, linear). */
  perImageWeightGrads?: boolean;
  /** Parameter gradients (only ops with params). Extra scratch comes from Kernels. */
  gpuWeightGrads?(k: Kernels, b: GpuWeightGradBuffers, attrs: Attrs): Dispatch[];
}
