// sigmoid: y = 1 / (1 + exp(-x)) (torch.nn.Sigmoid, ONNX Sigmoid), no attributes. An
// elementwise activation; GPU: shaders/sigmoid/activation.wgsl in the shared elementwise kernels.

import { sigmoidForward, sigmoidGradient } from './reference/sigmoid';
import { activationOp } from './activation';

export const sigmoid = activationOp({ op: 'sigmoid', forward: sigmoidForward, gradient: sigmoidGradient });
