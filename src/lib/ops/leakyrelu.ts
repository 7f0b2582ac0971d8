// leakyrelu: y = x for x > 0, else alpha * x (torch.nn.LeakyReLU, ONNX LeakyRelu; alpha 0.01 by
// default). A filter's nonlinearity, like relu. GPU: shaders/leakyrelu/activation.wgsl in the
// shared elementwise kernels.

import type { OpDescriptor } from './types';
import { num, rejectUnknown } from './attrs';
import { leakyReluForward, leakyReluGradient } from './reference/leakyrelu';
import { activationGpu } from './activation';

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
  ...activationGpu('leakyrelu', (attrs) => [alphaOf(attrs), 0]),
};
