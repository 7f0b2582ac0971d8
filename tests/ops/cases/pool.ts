// Pooling cases: overlapping windows (3/2), padding (asymmetric: padEnd), ceil mode, odd sizes,
// adaptive sizes that do and do not divide the input, average with and without padding in the divisor.
import type { OpCase } from '../harness';

const pool = (op: string, name: string, shape: number[], attrs: Record<string, unknown>, batch = 2): OpCase => ({
  name: `${op} ${name}`, op, batch, inputShapes: [shape], attrs,
});

export const poolCases: OpCase[] = [
  pool('maxpool', '2x2', [3, 8, 8], { kernel: [2, 2] }),
  pool('maxpool', '3/2 overlapping, odd', [2, 9, 11], { kernel: [3, 3], stride: [2, 2] }),
  pool('maxpool', '3/2 ceil mode', [2, 8, 10], { kernel: [3, 3], stride: [2, 2], ceilMode: true }),
  pool('maxpool', '3/1 pad 1', [3, 5, 6], { kernel: [3, 3], stride: [1, 1], padding: [1, 1] }),
  pool('maxpool', '3/2 padEnd only, odd', [2, 9, 10], { kernel: [3, 3], stride: [2, 2], padEnd: [1, 1] }),
  pool('maxpool', '2/2 padEnd, odd', [3, 7, 7], { kernel: [2, 2], stride: [2, 2], padEnd: [1, 1] }),
  pool('maxpool', '3/2 padding != padEnd, ceil', [2, 8, 9], { kernel: [3, 3], stride: [2, 2], padding: [1, 0], padEnd: [0, 1], ceilMode: true }),
  pool('avgpool', '2x2', [3, 6, 7], { kernel: [2, 2] }),
  pool('avgpool', '3/2 pad 1 count pad', [2, 7, 9], { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }),
  pool('avgpool', '3/2 pad 1 exclude pad, ceil', [2, 8, 9], { kernel: [3, 3], stride: [2, 2], padding: [1, 1], countIncludePad: false, ceilMode: true }),
  pool('avgpool', '3/2 padding != padEnd, count pad', [2, 9, 8], { kernel: [3, 3], stride: [2, 2], padding: [1, 0], padEnd: [0, 1] }),
  pool('avgpool', '3/2 padding != padEnd, count pad, ceil', [2, 8, 9], { kernel: [3, 3], stride: [2, 2], padding: [0, 1], padEnd: [1, 0], ceilMode: true }),
  pool('avgpool', '2x3/2 padding != padEnd, exclude pad', [3, 7, 9], { kernel: [2, 3], stride: [2, 2], padding: [1, 0], padEnd: [0, 1], countIncludePad: false }),
  pool('adaptiveavgpool', '7x7 -> 3x3', [3, 7, 7], { output: [3, 3] }),
  pool('adaptiveavgpool', '10x13 -> 4x5', [2, 10, 13], { output: [4, 5] }),
  pool('adaptiveavgpool', 'global', [5, 6, 5], { output: [1, 1] }),
];
