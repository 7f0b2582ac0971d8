// linear: y = flatten(x) W^T + b (torch.nn.Linear after torch.flatten(x, 1)).
// GPU: the conv2d shaders with a 1x1 kernel on a 1x1 map of `in` channels.

import type { OpDescriptor, GpuLayerBuffers } from './types';
import { rejectUnknown, shapeStr } from './attrs';
import { size } from './grid';
import { convForwardDispatch, convBackwardDispatch, convWeightGradDispatch } from './conv2d';
import type { ConvGeometry } from './reference/conv2d';
import { linearForward, linearBackward } from './reference/linear';

/**
 * A linear layer with more weights than this (AlexNet's 4096 x 4096) is one dense block of the
 * graph, every output reading every input, rather than hundreds of thousands of edges that no
 * one could look at or score one by one. Only conv kernels are pruned by default
 * (docs/saliency.md, Conventions 2), so a circuit loses nothing by it. Counted in weights, since
 * a layer after a flatten sees only its flat input.
 */
export const MAX_LINEAR_WEIGHTS = 262_144;

const ONE_BY_ONE: ConvGeometry = { kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 };

/** The same buffers seen as a 1x1 convolution. */
function asConv<T extends GpuLayerBuffers>(b: T): T {
  return { ...b, inputShapes: [[size(b.inputShapes[0]), 1, 1]], outShape: [b.outShape[0], 1, 1] };
}

export const linear: OpDescriptor = {
  op: 'linear',
  arity: 1,
  paramNames: ['weight', 'bias'],
  requiredParams: ['weight'],
  perImageWeightGrads: true,
  channelFlow: (_attrs, [inShape], outShape) =>
    outShape[0] * size(inShape) > MAX_LINEAR_WEIGHTS ? { kind: 'all' } : { kind: 'kernels', groups: 1, window: 'whole' },
  parseAttrs(raw) {
    rejectUnknown(raw, []);
    return {};
  },
  inferShape([inShape], _attrs, params) {
    const F = size(inShape);
    const w = params.weight;
    if (w.length !== 2) throw new Error(`weight must be 2-D [out, in], got ${shapeStr(w)}`);
    if (w[1] !== F) throw new Error(`weight ${shapeStr(w)} expects ${w[1]} inputs but the input ${shapeStr(inShape)} has ${F}`);
    if (params.bias && (params.bias.length !== 1 || params.bias[0] !== w[0]))
      throw new Error(`bias must be [${w[0]}], got ${shapeStr(params.bias)}`);
    return [w[0]];
  },
  cpuForward: ({ inputs, params, outShape }) => linearForward(inputs[0], params.weight, params.bias, outShape[0]),
  cpuBackward({ inputs, params, gradOutput }) {
    const r = linearBackward(inputs[0], params.weight, !!params.bias, gradOutput);
    const grads: Record<string, Float64Array> = { weight: r.dw };
    if (r.db) grads.bias = r.db;
    return { inputs: [r.dx], params: grads };
  },
  gpuForward: (k, b) => convForwardDispatch(k, asConv(b), ONE_BY_ONE, b.name),
  gpuBackward: (k, b) => convBackwardDispatch(k, asConv(b), ONE_BY_ONE, b.name),
  gpuWeightGrads: (k, b) => convWeightGradDispatch(k, asConv(b), ONE_BY_ONE, b.name),
};
