// relu: y = max(x, 0). GPU: shaders/relu/activation.wgsl in the shared elementwise kernels.
// Attribute `redirect` (default false) selects the redirected gradient used early in feature
// visualization.

import type { OpDescriptor } from './types';
import { rejectUnknown, bool } from './attrs';
import { reluGradient } from './reference/relu';
import { activationGpu } from './activation';

export const relu: OpDescriptor = {
  op: 'relu',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'same', window: null, activation: true }),
  redirectsGradient: true,
  parseAttrs(raw) {
    rejectUnknown(raw, ['redirect']);
    return bool(raw, 'redirect', false) ? { redirect: true } : {};
  },
  inferShape: ([s]) => [...s],
  cpuForward: ({ inputs: [x] }) => ({ ...x, shape: [...x.shape], data: x.data.map((v) => Math.max(v, 0)) }),
  cpuBackward: ({ inputs: [x], gradOutput, attrs }) => ({
    inputs: [{ ...x, data: reluGradient(x.data, gradOutput.data, attrs.redirect === true) }],
    params: {},
  }),
  ...activationGpu('relu', () => [0, 0], (attrs) => ({ REDIRECT: attrs.redirect === true })),
};
