// relu: y = max(x, 0). GPU: shaders/relu/{forward,backward}.wgsl. Attribute `redirect`
// (default false) selects the redirected gradient used early in feature visualization.

import type { OpDescriptor } from './types';
import { rejectUnknown, bool } from './attrs';
import { size } from './grid';
import { reluGradient } from './reference/relu';

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
  gpuForward: (k, b) => {
    const count = b.batch * size(b.outShape);
    return [k.dispatch({ label: `${b.name}.forward`, shader: 'relu/forward', uniforms: [count], buffers: [b.inputs[0], b.output], threads: [count] })];
  },
  gpuBackward: (k, b, attrs) => {
    const dx = b.gradInputs[0];
    if (!dx) return [];
    const count = b.batch * size(b.outShape);
    return [
      k.dispatch({
        label: `${b.name}.backward`,
        shader: 'relu/backward',
        defines: { REDIRECT: attrs.redirect === true },
        uniforms: [count, b.accumulate[0] ? 1 : 0],
        buffers: [b.inputs[0], b.gradOutput, dx],
        threads: [count],
      }),
    ];
  },
};
