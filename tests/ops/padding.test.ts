// Asymmetric padding (padEnd, ONNX's end pads) of conv2d and the pools: output sizes, the
// countIncludePad divisor counted over [-padding, in + padEnd) (PyTorch's rule, as ONNX Runtime
// applies it to asymmetric pads), and what is refused.

import { describe, it, expect } from 'vitest';
import { opDescriptor } from '../../src/lib/ops/registry';

const shapeOf = (op: string, raw: Record<string, unknown>, input: number[], params: Record<string, number[]> = {}) => {
  const d = opDescriptor(op)!;
  return d.inferShape([input], d.parseAttrs(raw), params);
};

function avgpool(raw: Record<string, unknown>, shape: number[], values: number[]): number[] {
  const d = opDescriptor('avgpool')!;
  const attrs = d.parseAttrs(raw);
  const outShape = d.inferShape([shape], attrs, {});
  return Array.from(d.cpuForward({ inputs: [{ batch: 1, shape, data: Float64Array.from(values) }], params: {}, attrs, outShape }).data);
}

describe('padEnd', () => {
  it('sets output sizes as ONNX pads do: floor((in + begin + end - dil*(k-1) - 1) / stride) + 1', () => {
    const w = { weight: [2, 1, 3, 3] };
    expect(shapeOf('conv2d', { kernel: [3, 3], stride: [2, 2], padEnd: [1, 1] }, [1, 8, 9], w)).toEqual([2, 4, 4]);
    expect(shapeOf('conv2d', { kernel: [3, 3], stride: [2, 1], padding: [2, 1], padEnd: [0, 1] }, [1, 7, 8], w)).toEqual([2, 4, 8]);
    expect(shapeOf('maxpool', { kernel: [2, 2], padEnd: [1, 0] }, [3, 7, 7])).toEqual([3, 4, 3]);
    // Ceil mode: a last window starting past the input and its leading pad is dropped.
    expect(shapeOf('maxpool', { kernel: [3, 3], stride: [2, 2], padEnd: [1, 1], ceilMode: true }, [1, 6, 5])).toEqual([1, 3, 3]);
    expect(shapeOf('maxpool', { kernel: [2, 2], stride: [2, 2], padEnd: [1, 1], ceilMode: true }, [1, 6, 5])).toEqual([1, 3, 3]);
  });

  it('is kept only where it differs from padding, and the window flow keeps padding (top, left)', () => {
    const d = opDescriptor('conv2d')!;
    expect(d.parseAttrs({ kernel: [3, 3], padding: [1, 1], padEnd: [1, 1] })).not.toHaveProperty('padEnd');
    const attrs = d.parseAttrs({ kernel: [3, 3], padding: [0, 1], padEnd: [1, 2] });
    expect(attrs.padEnd).toEqual([1, 2]);
    const flow = d.channelFlow!(attrs, [[1, 5, 5]], [2, 3, 4]);
    expect(flow).toMatchObject({ kind: 'kernels', window: { padding: [0, 1] } });
  });

  it('avgpool counts padded cells inside [-padding, in + padEnd) when countIncludePad', () => {
    const ones = new Array(9).fill(1);
    // 3x3 ones, 2x2 windows, stride 2, one row and column of end padding: the last window holds
    // one real cell of four inside the padded map.
    expect(avgpool({ kernel: [2, 2], padEnd: [1, 1] }, [1, 3, 3], ones)).toEqual([1, 0.5, 0.5, 0.25]);
    expect(avgpool({ kernel: [2, 2], padEnd: [1, 1], countIncludePad: false }, [1, 3, 3], ones)).toEqual([1, 1, 1, 1]);
    // Ceil mode: the last window [4, 7) reaches past the padded end 6, so its divisor is 2, not 3.
    expect(avgpool({ kernel: [1, 3], stride: [1, 2], padEnd: [0, 1], ceilMode: true }, [1, 1, 5], [1, 2, 3, 4, 5])).toEqual([2, 4, 2.5]);
  });

  it('refuses a pool padEnd over half the kernel, naming it', () => {
    expect(() => opDescriptor('maxpool')!.parseAttrs({ kernel: [3, 3], padEnd: [2, 1] })).toThrow(/padEnd \[2, 1\] must be at most half the kernel \[3, 3\]/);
    expect(() => opDescriptor('conv2d')!.parseAttrs({ kernel: [3, 3], padEnd: [-1, 0] })).toThrow(/"padEnd" must be \[h, w\] integers/);
  });
});
