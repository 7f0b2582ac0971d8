// maxpool, avgpool and adaptiveavgpool (torch.nn.MaxPool2d / AvgPool2d / AdaptiveAvgPool2d; ONNX's
// asymmetric pads as padEnd). GPU: shaders/maxpool/*.wgsl (argmax kept for backward),
// shaders/avgpool/*.wgsl (ADAPTIVE variant).

import type { OpDescriptor, GpuLayerBuffers, Attrs, ChannelFlow } from './types';
import type { Kernels } from '../engine/kernels';
import { bool, pair, padEndAttr, rejectUnknown, windowOutLen, shapeStr } from './attrs';
import { chw } from './grid';
import {
  maxPoolForward, maxPoolBackward, avgPoolForward, avgPoolBackward, type PoolGeometry,
} from './reference/pool';

function windowAttrs(raw: Attrs, extra: string[]): Attrs {
  rejectUnknown(raw, ['kernel', 'stride', 'padding', 'padEnd', 'ceilMode', ...extra]);
  const kernel = pair(raw, 'kernel', undefined, 1);
  const padding = pair(raw, 'padding', [0, 0], 0);
  const end = padEndAttr(raw, padding);
  for (const [key, pad] of [['padding', padding], ['padEnd', end.padEnd ?? padding]] as const)
    if (pad[0] * 2 > kernel[0] || pad[1] * 2 > kernel[1])
      throw new Error(`${key} ${shapeStr(pad)} must be at most half the kernel ${shapeStr(kernel)}`);
  return { kernel, stride: pair(raw, 'stride', kernel, 1), padding, ...end, ceilMode: bool(raw, 'ceilMode', false) };
}

function windowShape(inShape: number[], attrs: Attrs): number[] {
  if (inShape.length !== 3) throw new Error(`pooling needs a [C, H, W] input, got ${shapeStr(inShape)}`);
  const g = attrs as unknown as PoolGeometry & { ceilMode: boolean };
  const padEnd = g.padEnd ?? g.padding;
  const OH = windowOutLen(inShape[1], g.kernel[0], g.stride[0], g.padding[0], 1, g.ceilMode, padEnd[0]);
  const OW = windowOutLen(inShape[2], g.kernel[1], g.stride[1], g.padding[1], 1, g.ceilMode, padEnd[1]);
  if (OH < 1 || OW < 1) throw new Error(`window ${shapeStr(g.kernel)} does not fit the input ${shapeStr(inShape)}`);
  return [inShape[0], OH, OW];
}

/** The shared uniform prefix of the pooling shaders (padEnd only sets avgpool's countIncludePad divisor). */
function poolUniforms(b: GpuLayerBuffers, g: PoolGeometry): number[] {
  const [C, H, W] = chw(b.inputShapes[0]);
  const [, OH, OW] = chw(b.outShape);
  const padEnd = g.padEnd ?? g.padding;
  return [
    b.batch * C, H, W, OH, OW, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
    g.padding[0], g.padding[1], padEnd[0], padEnd[1],
  ];
}

const geometry = (attrs: Attrs) => attrs as unknown as PoolGeometry;

/** A pool reads channel c alone, over its window. */
const pooledFlow = (attrs: Attrs): ChannelFlow => {
  const g = geometry(attrs);
  return { kind: 'same', window: { kernel: g.kernel, stride: g.stride, padding: g.padding, dilation: [1, 1] } };
};

export const maxpool: OpDescriptor = {
  op: 'maxpool',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: pooledFlow,
  parseAttrs: (raw) => windowAttrs(raw, []),
  inferShape: ([s], attrs) => windowShape(s, attrs),
  auxSizes: (_in, out) => ({ argmax: out[0] * out[1] * out[2] }),
  cpuForward: ({ inputs, attrs, outShape }) => maxPoolForward(inputs[0], outShape, geometry(attrs)).y,
  cpuBackward: ({ inputs, attrs, outShape, gradOutput }) => ({
    inputs: [maxPoolBackward(inputs[0], outShape, geometry(attrs), gradOutput)],
    params: {},
  }),
  gpuForward: (k, b, attrs) => {
    const outCount = b.batch * chw(b.outShape).reduce((a, c) => a * c, 1);
    return [
      k.dispatch({
        label: `${b.name}.forward`, shader: 'maxpool/forward',
        uniforms: poolUniforms(b, geometry(attrs)),
        buffers: [b.inputs[0], b.output, b.aux.argmax], threads: [outCount],
      }),
    ];
  },
  gpuBackward: (k, b, attrs) => {
    const dx = b.gradInputs[0];
    if (!dx) return [];
    const inCount = b.batch * chw(b.inputShapes[0]).reduce((a, c) => a * c, 1);
    return [
      k.dispatch({
        label: `${b.name}.backward`, shader: 'maxpool/backward', defines: { ADAPTIVE: false },
        uniforms: [...poolUniforms(b, geometry(attrs)), b.accumulate[0] ? 1 : 0],
        buffers: [b.gradOutput, b.aux.argmax, dx], threads: [inCount],
      }),
    ];
  },
};

function avgForward(k: Kernels, b: GpuLayerBuffers, g: PoolGeometry) {
  const outCount = b.batch * chw(b.outShape).reduce((a, c) => a * c, 1);
  return [
    k.dispatch({
      label: `${b.name}.forward`, shader: 'avgpool/forward', defines: { ADAPTIVE: !!g.adaptive },
      uniforms: [...poolUniforms(b, g), g.countIncludePad ? 1 : 0],
      buffers: [b.inputs[0], b.output], threads: [outCount],
    }),
  ];
}

const avgBackward: OpDescriptor['gpuBackward'] = (k, b, attrs) => {
  const g = geometry(attrs);
  const dx = b.gradInputs[0];
  if (!dx) return [];
  const inCount = b.batch * chw(b.inputShapes[0]).reduce((a, c) => a * c, 1);
  return [
    k.dispatch({
      label: `${b.name}.backward`, shader: 'avgpool/backward', defines: { ADAPTIVE: !!g.adaptive },
      uniforms: [...poolUniforms(b, g), g.countIncludePad ? 1 : 0, b.accumulate[0] ? 1 : 0],
      buffers: [b.gradOutput, dx], threads: [inCount],
    }),
  ];
};

/** What avgpool and adaptiveavgpool share: the averaging itself, CPU and GPU (the window comes from the attributes). */
const averaging: Pick<OpDescriptor, 'cpuForward' | 'cpuBackward' | 'gpuForward' | 'gpuBackward'> = {
  cpuForward: ({ inputs, attrs, outShape }) => avgPoolForward(inputs[0], outShape, geometry(attrs)),
  cpuBackward: ({ inputs, attrs, outShape, gradOutput }) => ({
    inputs: [avgPoolBackward(inputs[0], outShape, geometry(attrs), gradOutput)],
    params: {},
  }),
  gpuForward: (k, b, attrs) => avgForward(k, b, geometry(attrs)),
  gpuBackward: avgBackward,
};

export const avgpool: OpDescriptor = {
  op: 'avgpool',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: pooledFlow,
  parseAttrs: (raw) => ({ ...windowAttrs(raw, ['countIncludePad']), countIncludePad: bool(raw, 'countIncludePad', true) }),
  inferShape: ([s], attrs) => windowShape(s, attrs),
  ...averaging,
};

export const adaptiveavgpool: OpDescriptor = {
  op: 'adaptiveavgpool',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'same', window: 'adaptive' }),
  parseAttrs(raw) {
    rejectUnknown(raw, ['output']);
    return {
      output: pair(raw, 'output', undefined, 1),
      adaptive: true, kernel: [0, 0], stride: [1, 1], padding: [0, 0], countIncludePad: false,
    };
  },
  inferShape([s], attrs) {
    if (s.length !== 3) throw new Error(`pooling needs a [C, H, W] input, got ${shapeStr(s)}`);
    const [oh, ow] = attrs.output as [number, number];
    return [s[0], oh, ow];
  },
  ...averaging,
};
