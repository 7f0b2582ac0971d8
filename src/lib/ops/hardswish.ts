// hardswish: y = x * hardsigmoid(x) = x * min(max(x + 3, 0), 6) / 6 (torch.nn.Hardswish, ONNX
// HardSwish; MobileNetV3), no attributes. A filter's nonlinearity, like relu. GPU:
// shaders/hardswish/activation.wgsl in the shared elementwise kernels.

import type { OpDescriptor } from './types';
import { rejectUnknown } from './attrs';
import { hardSwishForward, hardSwishGradient } from './reference/hardswish';
import { activationGpu } from './activation';

export const hardswish: OpDescriptor = {
  op: 'hardswish',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'same', window: null, activation: true }),
  parseAttrs(raw) {
    rejectUnknown(raw, []);
    return {};
  },
  inferShape: ([s]) => [...s],
  cpuForward: ({ inputs: [x] }) => ({ ...x, shape: [...x.shape], data: hardSwishForward(x.data) }),
  cpuBackward: ({ inputs: [x], gradOutput }) => ({
    inputs: [{ ...x, data: hardSwishGradient(x.data, gradOutput.data) }],
    params: {},
  }),
  ...activationGpu('hardswish', () => [0, 0]),
};
