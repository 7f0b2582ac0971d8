// hardswish: y = x * hardsigmoid(x) = x * min(max(x + 3, 0), 6) / 6 (torch.nn.Hardswish, ONNX
// HardSwish; MobileNetV3), no attributes. A filter's nonlinearity, like relu. GPU:
// shaders/hardswish/activation.wgsl in the shared elementwise kernels.

import { hardSwishForward, hardSwishGradient } from './reference/hardswish';
import { activationOp } from './activation';

export const hardswish = activationOp({ op: 'hardswish', forward: hardSwishForward, gradient: hardSwishGradient });
