// hardsigmoid: y = max(0, min(1, alpha * x + beta)) (ONNX HardSigmoid; alpha 1/6 and beta 0.5
// by default, torch.nn.Hardsigmoid: MobileNetV3's squeeze-and-excitation gate). An elementwise
// activation; GPU: shaders/hardsigmoid/activation.wgsl in the shared elementwise kernels.

import { num, rejectUnknown } from './attrs';
import { hardSigmoidForward, hardSigmoidGradient } from './reference/hardsigmoid';
import { activationOp } from './activation';

export const hardsigmoid = activationOp({
  op: 'hardsigmoid',
  parseAttrs(raw) {
    rejectUnknown(raw, ['alpha', 'beta']);
    return { alpha: num(raw, 'alpha', 1 / 6), beta: num(raw, 'beta', 0.5) };
  },
  parameters: (attrs) => [attrs.alpha as number, attrs.beta as number],
  forward: hardSigmoidForward,
  gradient: hardSigmoidGradient,
});
