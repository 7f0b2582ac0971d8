// leakyrelu: y = x for x > 0, else alpha * x (torch.nn.LeakyReLU, ONNX LeakyRelu; alpha 0.01 by
// default). A filter's nonlinearity, like relu. GPU: shaders/leakyrelu/{forward,backward}.wgsl.

import type { OpDescriptor } from './types';
import { num, rejectUnknown } from './attrs';
import { size } from './grid';
import { f32 } from '../engine/kernels';
import { leakyReluForward, leakyReluGradient } from './reference/leakyrelu';

const alphaOf = (attrs: Record<string, unknown>) => attrs.alpha as number;

export const leakyrelu: OpDescriptor = {
  op: 'leakyrelu',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'same', window: null, activation: true }),
  parseAttrs(raw) {
    rejectUnknown(raw, ['alpha']);
    const alpha = num(raw, 'alpha', 0.01);
    if (!Number.isFinite(alpha)) throw new Error(`attribute "alpha" must be a finite number`);
    return { alpha };
  },
  inferShape: ([s]) => [...s],
  cpuForward: ({ inputs: [x], attrs }) => ({ ...x, shape: [...x.shape], data: leakyReluForward(x.data, alphaOf(attrs)) }),
  cpuBackward: ({ inputs: [x], gradOutput, attrs }) => ({
    inputs: [{ ...x, data: leakyReluGradient(x.data, gradOutput.data, alphaOf(attrs)) }],
    params: {},
  }),
  gpuForward: (k, b, attrs) => {
    const count = b.batch * size(b.outShape);
    return [k.dispatch({ label: `${b.name}.forward`, shader: 'leakyrelu/forward', uniforms: [count, f32(alphaOf(attrs))], buffers: [b.inputs[0], b.output], threads: [count] })];
  },
  gpuBackward: (k, b, attrs) => {
    const dx = b.gradInputs[0];
    if (!dx) return [];
    const count = b.batch * size(b.outShape);
    return [
      k.dispatch({
        label: `${b.name}.backward`, shader: 'leakyrelu/backward',
        uniforms: [count, f32(alphaOf(attrs)), b.accumulate[0] ? 1 : 0],
        buffers: [b.inputs[0], b.gradOutput, dx], threads: [count],
      }),
    ];
  },
};
