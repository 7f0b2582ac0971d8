// lrn: local response normalization across channels (AlexNet/GoogLeNet style,
// torch.nn.LocalResponseNorm). GPU: shaders/lrn/{forward,backward}.wgsl; the forward
// keeps each position's scale for the backward pass.

import type { OpDescriptor } from './types';
import { int, num, rejectUnknown, shapeStr } from './attrs';
import { chw } from './grid';
import { f32 } from '../engine/kernels';
import { lrnForward, lrnBackward, type LrnParams } from './reference/lrn';

const lrnParams = (a: Record<string, unknown>) => a as unknown as LrnParams;

export const lrn: OpDescriptor = {
  op: 'lrn',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  /** Channel c is normalized by channels c - floor(size/2) .. c + floor((size-1)/2). */
  channelFlow: (attrs) => ({ kind: 'neighbours', before: Math.floor((attrs.size as number) / 2), after: Math.floor(((attrs.size as number) - 1) / 2) }),
  parseAttrs(raw) {
    rejectUnknown(raw, ['size', 'alpha', 'beta', 'k']);
    return { size: int(raw, 'size', undefined, 1), alpha: num(raw, 'alpha', 1e-4), beta: num(raw, 'beta', 0.75), k: num(raw, 'k', 1) };
  },
  inferShape([s]) {
    if (s.length !== 3) throw new Error(`lrn needs a [C, H, W] input, got ${shapeStr(s)}`);
    return [...s];
  },
  auxSizes: (_in, out) => ({ scale: out[0] * out[1] * out[2] }),
  cpuForward: ({ inputs, attrs }) => lrnForward(inputs[0], lrnParams(attrs)),
  cpuBackward: ({ inputs, attrs, gradOutput }) => ({ inputs: [lrnBackward(inputs[0], lrnParams(attrs), gradOutput)], params: {} }),
  gpuForward: (k, b, attrs) => {
    const p = lrnParams(attrs);
    const [C, H, W] = chw(b.outShape);
    return [
      k.dispatch({
        label: `${b.name}.forward`, shader: 'lrn/forward',
        uniforms: [b.batch, C, H * W, p.size, f32(p.alpha), f32(p.beta), f32(p.k)],
        buffers: [b.inputs[0], b.output, b.aux.scale], threads: [b.batch * C * H * W],
      }),
    ];
  },
  gpuBackward: (k, b, attrs) => {
    const dx = b.gradInputs[0];
    if (!dx) return [];
    const p = lrnParams(attrs);
    const [C, H, W] = chw(b.outShape);
    return [
      k.dispatch({
        label: `${b.name}.backward`, shader: 'lrn/backward',
        uniforms: [b.batch, C, H * W, p.size, f32(p.alpha), f32(p.beta), f32(p.k), b.accumulate[0] ? 1 : 0],
        buffers: [b.inputs[0], b.aux.scale, b.gradOutput, dx], threads: [b.batch * C * H * W],
      }),
    ];
  },
};
