// The GPU side shared by elementwise activations (relu, leakyrelu, ...): one forward and one
// backward kernel (shaders/elementwise/*.wgsl) that include the op's own activation.wgsl, with
// the op's one parameter as a uniform. An activation op spreads this into its descriptor.

import type { Attrs, OpDescriptor } from './types';
import { size } from './grid';
import { f32 } from '../engine/kernels';
import type { Defines } from '../engine/shaders';

export function activationGpu(
  op: string,
  parameter: (attrs: Attrs) => number,
  defines: (attrs: Attrs) => Defines = () => ({}),
): Pick<OpDescriptor, 'gpuForward' | 'gpuBackward'> {
  return {
    gpuForward: (k, b, attrs) => {
      const count = b.batch * size(b.outShape);
      return [k.dispatch({
        label: `${b.name}.forward`, shader: 'elementwise/forward', defines: { OP: op, ...defines(attrs) },
        uniforms: [count, f32(parameter(attrs))], buffers: [b.inputs[0], b.output], threads: [count],
      })];
    },
    gpuBackward: (k, b, attrs) => {
      const dx = b.gradInputs[0];
      if (!dx) return [];
      const count = b.batch * size(b.outShape);
      return [k.dispatch({
        label: `${b.name}.backward`, shader: 'elementwise/backward', defines: { OP: op, ...defines(attrs) },
        uniforms: [count, f32(parameter(attrs)), b.accumulate[0] ? 1 : 0], buffers: [b.inputs[0], b.gradOutput, dx], threads: [count],
      })];
    },
  };
}
