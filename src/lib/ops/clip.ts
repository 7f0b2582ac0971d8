// clip: y = min(max(x, min), max) (torch.clamp, ONNX Clip); the defaults min 0, max 6 are ReLU6
// (MobileNetV2). A filter's nonlinearity, like relu. GPU: shaders/clip/activation.wgsl in the
// shared elementwise kernels.

import { num, rejectUnknown } from './attrs';
import { clipForward, clipGradient } from './reference/clip';
import { activationOp } from './activation';

export const clip = activationOp({
  op: 'clip',
  parseAttrs(raw) {
    rejectUnknown(raw, ['min', 'max']);
    const min = num(raw, 'min', 0);
    const max = num(raw, 'max', 6);
    if (!(min < max)) throw new Error(`attribute "min" (${min}) must be less than "max" (${max})`);
    return { min, max };
  },
  parameters: (attrs) => [attrs.min as number, attrs.max as number],
  forward: clipForward,
  gradient: clipGradient,
});
