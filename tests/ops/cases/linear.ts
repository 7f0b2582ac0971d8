// linear cases: flat and [C, H, W] inputs (flattened), out sizes off the 4x4 tile.
import type { OpCase } from '../harness';

export const linearCases: OpCase[] = [
  { name: 'linear 13 -> 7', op: 'linear', batch: 3, inputShapes: [[13]], attrs: {}, params: { weight: [7, 13], bias: [7] } },
  { name: 'linear from a map', op: 'linear', batch: 2, inputShapes: [[3, 4, 5]], attrs: {}, params: { weight: [10, 60], bias: [10] } },
  { name: 'linear no bias, batch 1', op: 'linear', batch: 1, inputShapes: [[33]], attrs: {}, params: { weight: [5, 33] } },
];
