// The GPU side shared by elementwise activations (relu, leakyrelu, clip, sigmoid, ...): one
// forward and one backward kernel (shaders/elementwise/*.wgsl) that include the op's own
// activation.wgsl, with its two parameters (a, b) as uniforms. An activation spreads this in.

import type { Attrs, OpDescriptor } from './types';
import { size } from './grid';
import { f32 } from '../engine/kernels';
import type { Defines } from '../engine/shaders';

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
