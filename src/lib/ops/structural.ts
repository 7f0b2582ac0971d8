// Ops that only move values: flatten and dropout (identities on the buffer), concat
// (channel axis) and add. GPU: shaders/copy/channels.wgsl, which also routes gradients.

import type { OpDescriptor, CpuTensor, GpuBackwardBuffers } from './types';
import type { Kernels, Dispatch } from '../engine/kernels';
import { num, rejectUnknown, shapeStr } from './attrs';
import { chw, size } from './grid';

/** dst[:, dstOffset:dstOffset+count] (+)= src[:, srcOffset:srcOffset+count] over NCHW planes. */
export function copyChannels(
  k: Kernels,
  label: string,
  o: { batch: number; plane: number; count: number; src: GPUBuffer; srcChannels: number; srcOffset: number; dst: GPUBuffer; dstChannels: number; dstOffset: number; accumulate: boolean },
): Dispatch {
  return k.dispatch({
    label,
    shader: 'copy/channels',
    uniforms: [o.batch, o.plane, o.count, o.srcChannels, o.srcOffset, o.dstChannels, o.dstOffset, o.accumulate ? 1 : 0],
    buffers: [o.src, o.dst],
    threads: [o.batch * o.count * o.plane],
  });
}

/** Gradient of an identity: dx (+)= dy for every input that needs one. */
function passGradient(k: Kernels, b: GpuBackwardBuffers): Dispatch[] {
  const n = size(b.outShape);
  return b.gradInputs.flatMap((dx, i) =>
    dx
      ? [copyChannels(k, `${b.name}.backward${i}`, {
          batch: b.batch, plane: n, count: 1, src: b.gradOutput, srcChannels: 1, srcOffset: 0,
          dst: dx, dstChannels: 1, dstOffset: 0, accumulate: b.accumulate[i],
        })]
      : [],
  );
}

const identityCpu = {
  cpuForward: ({ inputs: [x], outShape }: { inputs: CpuTensor[]; outShape: number[] }) => ({ ...x, shape: outShape, data: x.data.slice() }),
  cpuBackward: ({ inputs: [x], gradOutput }: { inputs: CpuTensor[]; gradOutput: CpuTensor }) => ({
    inputs: [{ ...x, data: gradOutput.data.slice() }],
    params: {},
  }),
};

export const flatten: OpDescriptor = {
  op: 'flatten',
  channelFlow: () => ({ kind: 'flatten' }),
  arity: 1,
  paramNames: [],
  requiredParams: [],
  aliasesInput: true,
  parseAttrs(raw) {
    rejectUnknown(raw, []);
    return {};
  },
  inferShape: ([s]) => [size(s)],
  ...identityCpu,
  gpuForward: () => [],
  gpuBackward: passGradient,
};

export const dropout: OpDescriptor = {
  op: 'dropout',
  channelFlow: () => ({ kind: 'same', window: null }),
  arity: 1,
  paramNames: [],
  requiredParams: [],
  aliasesInput: true,
  parseAttrs(raw) {
    rejectUnknown(raw, ['p']);
    const p = num(raw, 'p', 0.5);
    if (p < 0 || p >= 1) throw new Error(`attribute "p" must be in [0, 1)`);
    return { p };
  },
  inferShape: ([s]) => [...s],
  ...identityCpu,
  gpuForward: () => [],
  gpuBackward: passGradient,
};

export const concat: OpDescriptor = {
  op: 'concat',
  channelFlow: () => ({ kind: 'concat' }),
  arity: [1, 64],
  paramNames: [],
  requiredParams: [],
  parseAttrs(raw) {
    rejectUnknown(raw, ['axis']);
    if (raw.axis !== undefined && raw.axis !== 1) throw new Error(`only channel concatenation (axis 1) is supported`);
    return {};
  },
  inferShape(shapes) {
    const [first] = shapes;
    for (const s of shapes) {
      if (s.length !== first.length || s.slice(1).some((v, i) => v !== first[i + 1]))
        throw new Error(`inputs ${shapes.map(shapeStr).join(', ')} differ in more than the channel axis`);
    }
    return [shapes.reduce((a, s) => a + s[0], 0), ...first.slice(1)];
  },
  cpuForward({ inputs, outShape }) {
    const batch = inputs[0].batch;
    const out = new Float64Array(batch * size(outShape));
    const perImage = size(outShape);
    for (let n = 0; n < batch; n++) {
      let off = n * perImage;
      for (const x of inputs) {
        const len = size(x.shape);
        out.set(x.data.subarray(n * len, (n + 1) * len), off);
        off += len;
      }
    }
    return { batch, shape: outShape, data: out };
  },
  cpuBackward({ inputs, outShape, gradOutput }) {
    const perImage = size(outShape);
    let channelOff = 0;
    const grads = inputs.map((x) => {
      const len = size(x.shape);
      const d = new Float64Array(x.data.length);
      const start = channelOff;
      for (let n = 0; n < x.batch; n++) d.set(gradOutput.data.subarray(n * perImage + start, n * perImage + start + len), n * len);
      channelOff += len;
      return { ...x, data: d };
    });
    return { inputs: grads, params: {} };
  },
  gpuForward(k, b) {
    const [C, H, W] = chw(b.outShape);
    let off = 0;
    return b.inputs.map((src, i) => {
      const count = chw(b.inputShapes[i])[0];
      const d = copyChannels(k, `${b.name}.forward${i}`, {
        batch: b.batch, plane: H * W, count, src, srcChannels: count, srcOffset: 0,
        dst: b.output, dstChannels: C, dstOffset: off, accumulate: false,
      });
      off += count;
      return d;
    });
  },
  gpuBackward(k, b) {
    const [C, H, W] = chw(b.outShape);
    let off = 0;
    const out: Dispatch[] = [];
    b.inputShapes.forEach((s, i) => {
      const count = chw(s)[0];
      const dx = b.gradInputs[i];
      if (dx)
        out.push(copyChannels(k, `${b.name}.backward${i}`, {
          batch: b.batch, plane: H * W, count, src: b.gradOutput, srcChannels: C, srcOffset: off,
          dst: dx, dstChannels: count, dstOffset: 0, accumulate: b.accumulate[i],
        }));
      off += count;
    });
    return out;
  },
};

export const add: OpDescriptor = {
  op: 'add',
  channelFlow: () => ({ kind: 'add' }),
  arity: [2, 64],
  paramNames: [],
  requiredParams: [],
  parseAttrs(raw) {
    rejectUnknown(raw, []);
    return {};
  },
  inferShape(shapes) {
    for (const s of shapes)
      if (s.length !== shapes[0].length || s.some((v, i) => v !== shapes[0][i]))
        throw new Error(`inputs of add must have equal shapes, got ${shapes.map(shapeStr).join(', ')}`);
    return [...shapes[0]];
  },
  cpuForward({ inputs }) {
    const data = inputs[0].data.slice();
    for (const x of inputs.slice(1)) x.data.forEach((v, i) => (data[i] += v));
    return { ...inputs[0], data };
  },
  cpuBackward: ({ inputs, gradOutput }) => ({ inputs: inputs.map((x) => ({ ...x, data: gradOutput.data.slice() })), params: {} }),
  gpuForward(k, b) {
    const n = size(b.outShape);
    return b.inputs.map((src, i) =>
      copyChannels(k, `${b.name}.forward${i}`, {
        batch: b.batch, plane: n, count: 1, src, srcChannels: 1, srcOffset: 0,
        dst: b.output, dstChannels: 1, dstOffset: 0, accumulate: i > 0,
      }),
    );
  },
  gpuBackward: passGradient,
};
