// mul: the elementwise product of two inputs (ONNX Mul), the second of the first's shape or
// [C, 1, 1] against a [C, H, W] first (a channel scale: MobileNetV3's squeeze-and-excitation).
// GPU: shaders/mul/forward.wgsl and shaders/mul/backward.wgsl (REDUCE sums the scale's gradient).

import type { OpDescriptor } from './types';
import { DEFAULT_WORKGROUP, type Dispatch } from '../engine/kernels';
import { rejectUnknown, shapeStr } from './attrs';
import { size } from './grid';
import { mulForward, mulBackward } from './reference/mul';

export const mul: OpDescriptor = {
  op: 'mul',
  channelFlow: () => ({ kind: 'add' }),
  arity: 2,
  paramNames: [],
  requiredParams: [],
  parseAttrs(raw) {
    rejectUnknown(raw, []);
    return {};
  },
  inferShape([a, b]) {
    const same = a.length === b.length && a.every((v, i) => v === b[i]);
    const channelScale = a.length === 3 && b.length === 3 && b[0] === a[0] && b[1] === 1 && b[2] === 1;
    if (!same && !channelScale)
      throw new Error(
        `mul takes a second input of the first's shape, or [C, 1, 1] against a [C, H, W] first, got ${shapeStr(a)} * ${shapeStr(b)}`,
      );
    return [...a];
  },
  cpuForward: ({ inputs: [a, b] }) => ({ ...a, shape: [...a.shape], data: mulForward(a, b) }),
  cpuBackward({ inputs: [a, b], gradOutput }) {
    const { da, db } = mulBackward(a, b, gradOutput);
    return { inputs: [{ ...a, data: da }, { ...b, data: db }], params: {} };
  },
  gpuForward(k, b) {
    const count = b.batch * size(b.outShape);
    const rep = size(b.inputShapes[0]) / size(b.inputShapes[1]);
    return [k.dispatch({
      label: `${b.name}.forward`, shader: 'mul/forward',
      uniforms: [count, rep], buffers: [b.inputs[0], b.inputs[1], b.output], threads: [count],
    })];
  },
  gpuBackward(k, b) {
    const count = b.batch * size(b.outShape);
    const rep = size(b.inputShapes[0]) / size(b.inputShapes[1]);
    const [da, db] = b.gradInputs;
    const out: Dispatch[] = [];
    // d/da = dy * b, b read at i / rep.
    if (da)
      out.push(k.dispatch({
        label: `${b.name}.backward0`, shader: 'mul/backward', defines: { REDUCE: false },
        uniforms: [count, rep, b.accumulate[0] ? 1 : 0], buffers: [b.gradOutput, b.inputs[1], da], threads: [count],
      }));
    // d/db = dy * a, summed over each run of rep elements when b is broadcast.
    if (db && rep === 1)
      out.push(k.dispatch({
        label: `${b.name}.backward1`, shader: 'mul/backward', defines: { REDUCE: false },
        uniforms: [count, 1, b.accumulate[1] ? 1 : 0], buffers: [b.gradOutput, b.inputs[0], db], threads: [count],
      }));
    if (db && rep > 1) {
      const runs = count / rep;
      out.push(k.dispatch({
        label: `${b.name}.backward1`, shader: 'mul/backward', defines: { REDUCE: true },
        uniforms: [runs, rep, b.accumulate[1] ? 1 : 0], buffers: [b.gradOutput, b.inputs[0], db], threads: [runs * DEFAULT_WORKGROUP],
      }));
    }
    return out;
  },
};
