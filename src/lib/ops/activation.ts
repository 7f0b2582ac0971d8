// The GPU side shared by elementwise activations (relu, leakyrelu, clip, sigmoid, ...): one
// forward and one backward kernel (shaders/elementwise/*.wgsl) that include the op's own
// activation.wgsl, with its two parameters (a, b) as uniforms. An activation spreads this in.

import type { Attrs, OpDescriptor } from './types';
import { size } from './grid';
import { f32 } from '../engine/kernels';
import type { Defines } from '../engine/shaders';
import { rejectUnknown } from './attrs';

/** An activation's parameters: `a` and `b` of its activation.wgsl (0 where it takes none). */
export type ActivationParameters = (attrs: Attrs) => [a: number, b: number];

export function activationGpu(
  op: string,
  parameters: ActivationParameters,
  defines: (attrs: Attrs) => Defines = () => ({}),
): Pick<OpDescriptor, 'gpuForward' | 'gpuBackward'> {
  return {
    gpuForward: (k, b, attrs) => {
      const count = b.batch * size(b.outShape);
      const [pa, pb] = parameters(attrs);
      return [k.dispatch({
        label: `${b.name}.forward`, shader: 'elementwise/forward', defines: { OP: op, ...defines(attrs) },
        uniforms: [count, f32(pa), f32(pb)], buffers: [b.inputs[0], b.output], threads: [count],
      })];
    },
    gpuBackward: (k, b, attrs) => {
      const dx = b.gradInputs[0];
      if (!dx) return [];
      const count = b.batch * size(b.outShape);
      const [pa, pb] = parameters(attrs);
      return [k.dispatch({
        label: `${b.name}.backward`, shader: 'elementwise/backward', defines: { OP: op, ...defines(attrs) },
        uniforms: [count, f32(pa), f32(pb), b.accumulate[0] ? 1 : 0], buffers: [b.inputs[0], b.gradOutput, dx], threads: [count],
      })];
    },
  };
}

/** What makes one elementwise activation: its attributes, its two parameters, its f64 reference. */
export interface ActivationSpec {
  op: string;
  /** Validates the attributes and fills in defaults; none by default. */
  parseAttrs?: (raw: Attrs) => Attrs;
  /** `a` and `b` of its activation.wgsl, which the CPU reference takes too; [0, 0] by default. */
  parameters?: ActivationParameters;
  forward: (x: Float64Array, a: number, b: number) => Float64Array;
  gradient: (x: Float64Array, dy: Float64Array, a: number, b: number) => Float64Array;
}

/** The descriptor of an elementwise activation (a filter's nonlinearity): same channel, same pixel. */
export function activationOp(spec: ActivationSpec): OpDescriptor {
  const parameters = spec.parameters ?? (() => [0, 0]);
  return {
    op: spec.op,
    arity: 1,
    paramNames: [],
    requiredParams: [],
    channelFlow: () => ({ kind: 'same', window: null, activation: true }),
    parseAttrs: spec.parseAttrs ?? ((raw) => {
      rejectUnknown(raw, []);
      return {};
    }),
    inferShape: ([s]) => [...s],
    cpuForward: ({ inputs: [x], attrs }) => ({ ...x, shape: [...x.shape], data: spec.forward(x.data, ...parameters(attrs)) }),
    cpuBackward: ({ inputs: [x], gradOutput, attrs }) => ({
      inputs: [{ ...x, data: spec.gradient(x.data, gradOutput.data, ...parameters(attrs)) }],
      params: {},
    }),
    ...activationGpu(spec.op, parameters),
  };
}
