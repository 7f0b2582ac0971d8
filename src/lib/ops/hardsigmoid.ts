// hardsigmoid: y = max(0, min(1, alpha * x + beta)) (ONNX HardSigmoid; alpha 1/6 and beta 0.5
// by default, torch.nn.Hardsigmoid: MobileNetV3's squeeze-and-excitation gate). An elementwise
// activation; GPU: shaders/hardsigmoid/activation.wgsl in the shared elementwise kernels.

import type { OpDescriptor, Attrs } from './types';
import { num, rejectUnknown } from './attrs';
import { hardSigmoidForward, hardSigmoidGradient } from './reference/hardsigmoid';
import { activationGpu } from './activation';

const slopeAndOffset = (attrs: Attrs): [number, number] => [attrs.alpha as number, attrs.beta as number];

export const hardsigmoid: OpDescriptor = {
  op: 'hardsigmoid',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'same', window: null, activation: true }),
  parseAttrs(raw) {
    rejectUnknown(raw, ['alpha', 'beta']);
    return { alpha: num(raw, 'alpha', 1 / 6), beta: num(raw, 'beta', 0.5) };
  },
  inferShape: ([s]) => [...s],
  cpuForward: ({ inputs: [x], attrs }) => ({ ...x, shape: [...x.shape], data: hardSigmoidForward(x.data, ...slopeAndOffset(attrs)) }),
  cpuBackward: ({ inputs: [x], gradOutput, attrs }) => ({
    inputs: [{ ...x, data: hardSigmoidGradient(x.data, gradOutput.data, ...slopeAndOffset(attrs)) }],
    params: {},
  }),
  ...activationGpu('hardsigmoid', slopeAndOffset),
};
