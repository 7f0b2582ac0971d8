// relu: y = max(x, 0). GPU: shaders/relu/{forward,backward}.wgsl.

import type { OpDescriptor } from './types';
import { rejectUnknown } from './attrs';
import { size } from './grid';

export const relu: OpDescriptor = {
  op: 'relu',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  parseAttrs(raw) {
    rejectUnknown(raw, []);
    return {};
  },
  inferShape: ([s]) => [...s],
  cpuForward: ({ inputs: [x] }) => ({ ...x, shape: [...x.shape], data: x.data.map((v) => Math.max(v, 0)) }),
  cpuBackward: ({ inputs: [x], gradOutput }) => ({
    inputs: [{ ...x, data: gradOutput.data.map((g, i) => (x.data[i] > 0 ? g : 0)) }],
    params: {},
  }),
  gpuForward: (k, b) => {
    const count = b.batch * size(b.outShape);
    return [k.dispatch({ label: `${b.name}.forward`, shader: 'relu/forward', uniforms: [count], buffers: [b.inputs[0], b.output], threads: [count] })];
  },
  gpuBackward: (k, b) => {
    const dx = b.gradInputs[0];
    if (!dx) return [];
    const count = b.batch * size(b.outShape);
    return [
      k.dispatch({
        label: `${b.name}.backward`,
        shader: 'relu/backward',
        uniforms: [count, b.accumulate[0] ? 1 : 0],
        buffers: [b.inputs[0], b.gradOutput, dx],
        threads: [count],
      }),
    ];
  },
};
