// leakyrelu: y = x for x > 0, else alpha * x (torch.nn.LeakyReLU, ONNX LeakyRelu; alpha 0.01 by
// default). A filter's nonlinearity, like relu. GPU: shaders/leakyrelu/activation.wgsl in the
// shared elementwise kernels.

import { num, rejectUnknown } from './attrs';
import { leakyReluForward, leakyReluGradient } from './reference/leakyrelu';
import { activationOp } from './activation';

export const leakyrelu = activationOp({
  op: 'leakyrelu',
  parseAttrs(raw) {
    rejectUnknown(raw, ['alpha']);
    const alpha = num(raw, 'alpha', 0.01);
    if (!Number.isFinite(alpha)) throw new Error(`attribute "alpha" must be a finite number`);
    return { alpha };
  },
  parameters: (attrs) => [attrs.alpha as number, 0],
  forward: leakyReluForward,
  gradient: leakyReluGradient,
});
