// Cases of the activations (relu, leakyrelu, clip, sigmoid, hardsigmoid, hardswish: random inputs
// wide enough to reach their saturated parts, and fixed ones on the points where their rules
// change), lrn, batchnorm, softmax, and the ops that combine or move values (mul, add, concat, ...).
import type { OpCase } from '../harness';

export const elementwiseCases: OpCase[] = [
  { name: 'relu', op: 'relu', batch: 3, inputShapes: [[3, 5, 7]], attrs: {} },
  { name: 'relu flat', op: 'relu', batch: 2, inputShapes: [[17]], attrs: {} },
  { name: 'leakyrelu alpha 0.2', op: 'leakyrelu', batch: 3, inputShapes: [[3, 5, 7]], attrs: { alpha: 0.2 } },
  { name: 'relu, redirected gradient', op: 'relu', batch: 3, inputShapes: [[3, 5, 7]], attrs: { redirect: true } },
  { name: 'clip -0.5..1', op: 'clip', batch: 3, inputShapes: [[3, 5, 7]], attrs: { min: -0.5, max: 1 } },
  { name: 'clip ReLU6 (defaults)', op: 'clip', batch: 2, inputShapes: [[4, 5, 6]], attrs: {}, inputScale: 8 },
  {
    name: 'clip on its bounds', op: 'clip', batch: 1, inputShapes: [[8]], attrs: { min: -0.5, max: 1 },
    inputValues: [[-0.75, -0.5, -0.25, 0, 0.5, 1, 1.25, 3]],
  },
  { name: 'clip ReLU6 on its bounds', op: 'clip', batch: 1, inputShapes: [[6]], attrs: {}, inputValues: [[-1, 0, 3, 6, 6.5, -0]] },
  { name: 'sigmoid', op: 'sigmoid', batch: 3, inputShapes: [[3, 5, 7]], attrs: {}, inputScale: 8 },
  { name: 'sigmoid, saturated', op: 'sigmoid', batch: 1, inputShapes: [[6]], attrs: {}, inputValues: [[-200, -30, -0, 0, 30, 200]] },
  { name: 'hardsigmoid (torch defaults)', op: 'hardsigmoid', batch: 3, inputShapes: [[3, 5, 7]], attrs: {}, inputScale: 5 },
  { name: 'hardsigmoid alpha 0.4 beta 0.3', op: 'hardsigmoid', batch: 2, inputShapes: [[4, 3, 5]], attrs: { alpha: 0.4, beta: 0.3 } },
  {
    name: 'hardsigmoid on its bends (±3)', op: 'hardsigmoid', batch: 1, inputShapes: [[8]], attrs: {},
    inputValues: [[-4, -3, -2.5, 0, 1, 2.5, 3, 4]],
  },
  { name: 'hardswish', op: 'hardswish', batch: 3, inputShapes: [[3, 5, 7]], attrs: {}, inputScale: 5 },
  {
    name: 'hardswish on its bends (±3)', op: 'hardswish', batch: 1, inputShapes: [[8]], attrs: {},
    inputValues: [[-4, -3, -2.5, 0, 1, 2.5, 3, 4]],
  },
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
  { name: 'mul, same shape', op: 'mul', batch: 3, inputShapes: [[3, 4, 5], [3, 4, 5]], attrs: {} },
  { name: 'mul, flat', op: 'mul', batch: 2, inputShapes: [[7], [7]], attrs: {} },
  { name: 'mul by a channel scale [C, 1, 1]', op: 'mul', batch: 2, inputShapes: [[5, 9, 11], [5, 1, 1]], attrs: {} },
  { name: 'mul by a channel scale, 2x3 map', op: 'mul', batch: 3, inputShapes: [[4, 2, 3], [4, 1, 1]], attrs: {} },
  { name: 'mul of a tensor with itself', op: 'mul', batch: 2, inputShapes: [[3, 4, 5], [3, 4, 5]], attrs: {}, sharedInput: true },
];
