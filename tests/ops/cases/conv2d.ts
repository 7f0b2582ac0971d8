// conv2d cases: odd sizes, stride, padding (asymmetric: padEnd), dilation, groups (incl.
// depthwise), batch > 1, channel counts that are not multiples of the 4x4 register tile.
import type { OpCase } from '../harness';

const conv = (name: string, batch: number, [C, H, W]: number[], O: number, attrs: Record<string, unknown>, bias = true): OpCase => {
  const k = attrs.kernel as number[];
  const g = (attrs.groups as number) ?? 1;
  return {
    name: `conv2d ${name}`, op: 'conv2d', batch, inputShapes: [[C, H, W]], attrs,
    params: { weight: [O, C / g, k[0], k[1]], ...(bias ? { bias: [O] } : {}) },
  };
};

export const conv2dCases: OpCase[] = [
  conv('3x3 pad 1', 2, [3, 7, 9], 5, { kernel: [3, 3], padding: [1, 1] }),
  conv('1x1 no bias', 3, [6, 5, 5], 7, { kernel: [1, 1] }, false),
  conv('5x5 stride 2 pad 2', 2, [3, 11, 13], 6, { kernel: [5, 5], stride: [2, 2], padding: [2, 2] }),
  conv('11x11 stride 4 (AlexNet conv1 shape, small)', 1, [3, 31, 31], 8, { kernel: [11, 11], stride: [4, 4], padding: [2, 2] }),
  conv('dilation 2', 2, [4, 9, 10], 4, { kernel: [3, 3], padding: [2, 2], dilation: [2, 2] }),
  conv('groups 2', 2, [6, 8, 7], 10, { kernel: [3, 3], padding: [1, 1], groups: 2 }),
  conv('depthwise', 2, [5, 6, 6], 5, { kernel: [3, 3], padding: [1, 1], groups: 5 }),
  conv('rectangular kernel, stride 3x1', 2, [2, 10, 9], 3, { kernel: [3, 2], stride: [3, 1], padding: [1, 0] }),
  conv('batch 5, no padding', 5, [2, 6, 6], 9, { kernel: [3, 3] }),
  conv('padEnd > padding, stride 2, odd', 2, [3, 9, 11], 5, { kernel: [3, 3], stride: [2, 2], padding: [0, 1], padEnd: [1, 2] }),
  conv('padEnd < padding (last rows unread)', 2, [2, 7, 8], 3, { kernel: [3, 3], stride: [2, 1], padding: [2, 1], padEnd: [0, 1] }),
  conv('depthwise, stride 2, SAME-style pads', 2, [4, 8, 9], 4, { kernel: [3, 3], stride: [2, 2], padEnd: [1, 1], groups: 4 }),
  conv('stride 1, padEnd != padding', 2, [3, 8, 7], 4, { kernel: [3, 3], padding: [2, 0], padEnd: [0, 1] }),
  conv('5x5 stride 2, padEnd, dilation 2', 1, [3, 13, 12], 6, { kernel: [5, 5], stride: [2, 2], padding: [1, 3], padEnd: [4, 0], dilation: [2, 2] }),
];
