// sigmoid: y = 1 / (1 + exp(-x)) (torch.nn.Sigmoid, ONNX Sigmoid), no attributes. An
// elementwise activation; GPU: shaders/sigmoid/activation.wgsl in the shared elementwise kernels.

import type { OpDescriptor } from './types';
import { rejectUnknown } from './attrs';
import { sigmoidForward, sigmoidGradient } from './reference/sigmoid';
import { activationGpu } from './activation';

export const sigmoid: OpDescriptor = {
  op: 'sigmoid',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'same', window: null, activation: true }),
  parseAttrs(raw) {
    rejectUnknown(raw, []);
    return {};
  },
  inferShape: ([s]) => [...s],
  cpuForward: ({ inputs: [x] }) => ({ ...x, shape: [...x.shape], data: sigmoidForward(x.data) }),
  cpuBackward: ({ inputs: [x], gradOutput }) => ({
    inputs: [{ ...x, data: sigmoidGradient(x.data, gradOutput.data) }],
    params: {},
  }),
  ...activationGpu('sigmoid', () => [0, 0]),
};
