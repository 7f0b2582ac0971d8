// The activations' CPU references on the points where their rules change, against PyTorch's own
// rules there (torch.clamp, Hardsigmoid and Hardswish backward): random inputs never land on them.
// The GPU kernels are held to these references at the same points (inputValues cases in cases/elementwise.ts).

import { describe, it, expect } from 'vitest';
import { opDescriptor } from '../../src/lib/ops/registry';

/** Forward values and input gradients (for dy = 1) of op at inputs xs. */
function at(op: string, raw: Record<string, unknown>, xs: number[]) {
  const d = opDescriptor(op)!;
  const attrs = d.parseAttrs(raw);
  const x = { batch: 1, shape: [xs.length], data: Float64Array.from(xs) };
  const y = d.cpuForward({ inputs: [x], params: {}, attrs, outShape: [xs.length] });
  const g = d.cpuBackward({ inputs: [x], params: {}, attrs, outShape: [xs.length], output: y, gradOutput: { ...x, data: new Float64Array(xs.length).fill(1) } });
  return { y: Array.from(y.data), dx: Array.from(g.inputs[0].data) };
}

describe('activations where their rules change, as PyTorch', () => {
  it('clip passes the gradient on both bounds (torch.clamp)', () => {
    expect(at('clip', { min: -0.5, max: 1 }, [-0.75, -0.5, 0, 1, 1.25])).toEqual({ y: [-0.5, -0.5, 0, 1, 1], dx: [0, 1, 1, 1, 0] });
    expect(at('clip', {}, [-1, 0, 6, 7])).toEqual({ y: [0, 0, 6, 6], dx: [0, 1, 1, 0] });
  });

  it('clip refuses bounds that are not finite with min < max', () => {
    const parse = (raw: Record<string, unknown>) => () => opDescriptor('clip')!.parseAttrs(raw);
    expect(parse({ min: 1, max: 1 })).toThrow(/"min" \(1\) must be less than "max" \(1\)/);
    expect(parse({ min: 7 })).toThrow(/"min" \(7\) must be less than "max" \(6\)/);
    expect(parse({ max: 'inf' })).toThrow(/"max" must be a finite number/);
  });

  it('hardsigmoid: slope 1/6 strictly between -3 and 3 (torch hardsigmoid_backward)', () => {
    const { y, dx } = at('hardsigmoid', {}, [-3.5, -3, 0, 3, 3.5]);
    expect(y).toEqual([0, 0, 0.5, 1, 1]);
    expect(dx).toEqual([0, 0, 1 / 6, 0, 0]);
  });

  it('hardswish: -dy/2 at exactly -3, 1.5 dy at exactly 3 (torch hardswish_backward)', () => {
    const { y, dx } = at('hardswish', {}, [-3.5, -3, 0, 1.5, 3, 3.5]);
    expect(y.map((v) => v + 0)).toEqual([0, 0, 0, 1.5 * 4.5 / 6, 3, 3.5]);
    expect(dx).toEqual([0, -0.5, 0.5, 1, 1.5, 1]);
  });

  it('sigmoid saturates without NaN', () => {
    const { y, dx } = at('sigmoid', {}, [-1000, 0, 1000]);
    expect(y).toEqual([0, 0.5, 1]);
    expect(dx).toEqual([0, 0.25, 0]);
  });
});
