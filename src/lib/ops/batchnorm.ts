// batchnorm: inference-mode batch normalization (torch.nn.BatchNorm2d in eval()).
// The loader folds it into a preceding conv2d where it can; this op covers the rest.
// GPU: shaders/batchnorm/{forward,backward,backward_params}.wgsl.

import type { OpDescriptor } from './types';
import { num, rejectUnknown, shapeStr } from './attrs';
import { chw } from './grid';
import { f32 } from '../engine/kernels';

export const batchnorm: OpDescriptor = {
  op: 'batchnorm',
  arity: 1,
  paramNames: ['weight', 'bias', 'runningMean', 'runningVar'],
  requiredParams: ['weight', 'bias', 'runningMean', 'runningVar'],
  channelFlow: () => ({ kind: 'same', window: null }),
  parseAttrs(raw) {
    rejectUnknown(raw, ['eps']);
    const eps = num(raw, 'eps', 1e-5);
    if (eps <= 0) throw new Error(`attribute "eps" must be > 0`);
    return { eps };
  },
  inferShape([s], _a, params) {
    const C = s[0];
    for (const [name, ps] of Object.entries(params)) {
      if (ps.length !== 1 || ps[0] !== C) throw new Error(`${name} must be [${C}], got ${shapeStr(ps)}`);
    }
    return [...s];
  },
  cpuForward({ inputs: [x], params, attrs }) {
    const C = x.shape[0];
    const plane = x.data.length / x.batch / C;
    const eps = attrs.eps as number;
    const data = x.data.map((v, i) => {
      const c = Math.floor(i / plane) % C;
      return ((v - params.runningMean[c]) / Math.sqrt(params.runningVar[c] + eps)) * params.weight[c] + params.bias[c];
    });
    return { ...x, data };
  },
  cpuBackward({ inputs: [x], params, attrs, gradOutput }) {
    const C = x.shape[0];
    const plane = x.data.length / x.batch / C;
    const eps = attrs.eps as number;
    const dx = new Float64Array(x.data.length);
    const dw = new Float64Array(C);
    const db = new Float64Array(C);
    for (let i = 0; i < x.data.length; i++) {
      const c = Math.floor(i / plane) % C;
      const inv = 1 / Math.sqrt(params.runningVar[c] + eps);
      dx[i] = gradOutput.data[i] * params.weight[c] * inv;
      dw[c] += gradOutput.data[i] * (x.data[i] - params.runningMean[c]) * inv;
      db[c] += gradOutput.data[i];
    }
    return { inputs: [{ ...x, data: dx }], params: { weight: dw, bias: db } };
  },
  gpuForward: (k, b, attrs) => {
    const [C, H, W] = chw(b.outShape);
    const p = b.params;
    return [
      k.dispatch({
        label: `${b.name}.forward`, shader: 'batchnorm/forward',
        uniforms: [b.batch, C, H * W, f32(attrs.eps as number)],
        buffers: [b.inputs[0], p.weight, p.bias, p.runningMean, p.runningVar, b.output],
        threads: [b.batch * C * H * W],
      }),
    ];
  },
  gpuBackward: (k, b, attrs) => {
    const dx = b.gradInputs[0];
    if (!dx) return [];
    const [C, H, W] = chw(b.outShape);
    return [
      k.dispatch({
        label: `${b.name}.backward`, shader: 'batchnorm/backward',
        uniforms: [b.batch, C, H * W, f32(attrs.eps as number), b.accumulate[0] ? 1 : 0],
        buffers: [b.gradOutput, b.params.weight, b.params.runningVar, dx],
        threads: [b.batch * C * H * W],
      }),
    ];
  },
  gpuWeightGrads: (k, b, attrs) => {
    const [C, H, W] = chw(b.outShape);
    return [
      k.dispatch({
        label: `${b.name}.paramGrads`, shader: 'batchnorm/backward_params',
        uniforms: [b.batch, C, H * W, f32(attrs.eps as number)],
        buffers: [b.inputs[0], b.gradOutput, b.params.runningMean, b.params.runningVar, b.gradParams.weight, b.gradParams.bias],
        threads: [C * 64],
      }),
    ];
  },
};
