// Cases of relu, lrn, batchnorm, softmax, and the ops that move values (flatten,
// dropout, concat, add).
import type { OpCase } from '../harness';

export const elementwiseCases: OpCase[] = [
  { name: 'relu', op: 'relu', batch: 3, inputShapes: [[3, 5, 7]], attrs: {} },
  { name: 'relu flat', op: 'relu', batch: 2, inputShapes: [[17]], attrs: {} },
  { name: 'leakyrelu alpha 0.2', op: 'leakyrelu', batch: 3, inputShapes: [[3, 5, 7]], attrs: { alpha: 0.2 } },
  { name: 'relu, redirected gradient', op: 'relu', batch: 3, inputShapes: [[3, 5, 7]], attrs: { redirect: true } },
  { name: 'lrn size 5 (AlexNet)', op: 'lrn', batch: 2, inputShapes: [[9, 4, 5]], attrs: { size: 5, alpha: 0.05, beta: 0.75, k: 2 } },
  { name: 'lrn size 4 (even), k 1', op: 'lrn', batch: 2, inputShapes: [[6, 3, 3]], attrs: { size: 4, alpha: 0.3, beta: 0.6, k: 1 } },
  {
    name: 'batchnorm', op: 'batchnorm', batch: 2, inputShapes: [[4, 3, 5]], attrs: { eps: 1e-3 },
    params: { weight: [4], bias: [4], runningMean: [4], runningVar: [4] }, positiveParams: ['runningVar'],
  },
  { name: 'softmax', op: 'softmax', batch: 3, inputShapes: [[7]], attrs: {} },
  { name: 'flatten', op: 'flatten', batch: 2, inputShapes: [[3, 4, 5]], attrs: {} },
  { name: 'dropout', op: 'dropout', batch: 2, inputShapes: [[3, 4, 5]], attrs: { p: 0.5 } },
  { name: 'concat of three', op: 'concat', batch: 2, inputShapes: [[2, 3, 4], [5, 3, 4], [1, 3, 4]], attrs: {} },
  { name: 'add of two', op: 'add', batch: 3, inputShapes: [[3, 4, 4], [3, 4, 4]], attrs: {} },
  { name: 'add of three', op: 'add', batch: 1, inputShapes: [[5], [5], [5]], attrs: {} },
];
