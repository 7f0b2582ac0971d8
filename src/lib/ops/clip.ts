// clip: y = min(max(x, min), max) (torch.clamp, ONNX Clip); the defaults min 0, max 6 are ReLU6
// (MobileNetV2). A filter's nonlinearity, like relu. GPU: shaders/clip/activation.wgsl in the
// shared elementwise kernels.

import type { OpDescriptor, Attrs } from './types';
import { num, rejectUnknown } from './attrs';
import { clipForward, clipGradient } from './reference/clip';
import { activationGpu } from './activation';

const bounds = (attrs: Attrs): [number, number] => [attrs.min as number, attrs.max as number];

export const clip: OpDescriptor = {
  op: 'clip',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'same', window: null, activation: true }),
  parseAttrs(raw) {
    rejectUnknown(raw, ['min', 'max']);
    const min = num(raw, 'min', 0);
    const max = num(raw, 'max', 6);
    if (!(min < max)) throw new Error(`attribute "min" (${min}) must be less than "max" (${max})`);
    return { min, max };
  },
  inferShape: ([s]) => [...s],
  cpuForward: ({ inputs: [x], attrs }) => ({ ...x, shape: [...x.shape], data: clipForward(x.data, ...bounds(attrs)) }),
  cpuBackward: ({ inputs: [x], gradOutput, attrs }) => ({
    inputs: [{ ...x, data: clipGradient(x.data, gradOutput.data, ...bounds(attrs)) }],
    params: {},
  }),
  ...activationGpu('clip', bounds),
};
