// CPU reference of local response normalization across channels (PyTorch LocalResponseNorm)
// and its input gradient, in f64.

import type { CpuTensor } from '../types';

export interface LrnParams { size: number; alpha: number; beta: number; k: number }

function scales(x: CpuTensor, p: LrnParams): Float64Array {
  const [C, H, W] = x.shape;
  const plane = H * W;
  const s = new Float64Array(x.data.length);
  for (let n = 0; n < x.batch; n++)
    for (let c = 0; c < C; c++)
      for (let q = 0; q < plane; q++) {
        let sum = 0;
        for (let j = Math.max(0, c - Math.floor(p.size / 2)); j <= Math.min(C - 1, c + Math.floor((p.size - 1) / 2)); j++) {
          const v = x.data[(n * C + j) * plane + q];
          sum += v * v;
        }
        s[(n * C + c) * plane + q] = p.k + (p.alpha / p.size) * sum;
      }
  return s;
}

export function lrnForward(x: CpuTensor, p: LrnParams): CpuTensor {
  const s = scales(x, p);
  return { ...x, data: x.data.map((v, i) => v * Math.pow(s[i], -p.beta)) };
}

export function lrnBackward(x: CpuTensor, p: LrnParams, dy: CpuTensor): CpuTensor {
  const [C, H, W] = x.shape;
  const plane = H * W;
  const s = scales(x, p);
  const dx = new Float64Array(x.data.length);
  for (let n = 0; n < x.batch; n++)
    for (let j = 0; j < C; j++)
      for (let q = 0; q < plane; q++) {
        const i = (n * C + j) * plane + q;
        let acc = 0;
        for (let c = Math.max(0, j - Math.floor((p.size - 1) / 2)); c <= Math.min(C - 1, j + Math.floor(p.size / 2)); c++) {
          const ic = (n * C + c) * plane + q;
          acc += dy.data[ic] * x.data[ic] * Math.pow(s[ic], -p.beta - 1);
        }
        dx[i] = dy.data[i] * Math.pow(s[i], -p.beta) - ((2 * p.alpha * p.beta) / p.size) * x.data[i] * acc;
      }
  return { ...x, data: dx };
}
