// softmax over the class axis (a model's optional last layer). GPU: shaders/softmax/*.wgsl.

import type { OpDescriptor } from './types';
import { rejectUnknown, shapeStr } from './attrs';

export const softmax: OpDescriptor = {
  op: 'softmax',
  arity: 1,
  paramNames: [],
  requiredParams: [],
  channelFlow: () => ({ kind: 'all' }),
  parseAttrs(raw) {
    rejectUnknown(raw, ['axis']);
    if (raw.axis !== undefined && raw.axis !== 1) throw new Error(`only softmax over axis 1 is supported`);
    return {};
  },
  inferShape([s]) {
    if (s.length !== 1) throw new Error(`softmax needs a flat [F] input (add a flatten), got ${shapeStr(s)}`);
    return [...s];
  },
  cpuForward({ inputs: [x] }) {
    const F = x.shape[0];
    const y = new Float64Array(x.data.length);
    for (let n = 0; n < x.batch; n++) {
      const row = x.data.subarray(n * F, (n + 1) * F);
      const m = Math.max(...row);
      let s = 0;
      for (const v of row) s += Math.exp(v - m);
      row.forEach((v, j) => (y[n * F + j] = Math.exp(v - m) / s));
    }
    return { ...x, data: y };
  },
  cpuBackward({ output, gradOutput, inputs: [x] }) {
    const F = x.shape[0];
    const dx = new Float64Array(x.data.length);
    for (let n = 0; n < x.batch; n++) {
      let dot = 0;
      for (let j = 0; j < F; j++) dot += gradOutput.data[n * F + j] * output.data[n * F + j];
      for (let j = 0; j < F; j++) dx[n * F + j] = output.data[n * F + j] * (gradOutput.data[n * F + j] - dot);
    }
    return { inputs: [{ ...x, data: dx }], params: {} };
  },
  gpuForward: (k, b) => [
    k.dispatch({
      label: `${b.name}.forward`, shader: 'softmax/forward', uniforms: [b.batch, b.outShape[0]],
      buffers: [b.inputs[0], b.output], threads: [b.batch],
    }),
  ],
  gpuBackward: (k, b) => {
    const dx = b.gradInputs[0];
    if (!dx) return [];
    return [
      k.dispatch({
        label: `${b.name}.backward`, shader: 'softmax/backward', uniforms: [b.batch, b.outShape[0], b.accumulate[0] ? 1 : 0],
        buffers: [b.output, b.gradOutput, dx], threads: [b.batch],
      }),
    ];
  },
};
