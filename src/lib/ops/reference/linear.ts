// CPU reference of linear (y = x W^T + b on flattened inputs) and its gradients, in f64.

import type { CpuTensor } from '../types';

export function linearForward(x: CpuTensor, w: Float32Array, b: Float32Array | undefined, out: number): CpuTensor {
  const F = x.data.length / x.batch;
  const y = new Float64Array(x.batch * out);
  for (let n = 0; n < x.batch; n++)
    for (let o = 0; o < out; o++) {
      let s = b ? b[o] : 0;
      for (let f = 0; f < F; f++) s += w[o * F + f] * x.data[n * F + f];
      y[n * out + o] = s;
    }
  return { batch: x.batch, shape: [out], data: y };
}

export function linearBackward(x: CpuTensor, w: Float32Array, hasBias: boolean, dy: CpuTensor) {
  const F = x.data.length / x.batch;
  const out = dy.shape[0];
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(out);
  for (let n = 0; n < x.batch; n++)
    for (let o = 0; o < out; o++) {
      const g = dy.data[n * out + o];
      db[o] += g;
      for (let f = 0; f < F; f++) {
        dx[n * F + f] += w[o * F + f] * g;
        dw[o * F + f] += x.data[n * F + f] * g;
      }
    }
  return { dx: { batch: x.batch, shape: x.shape, data: dx }, dw, db: hasBias ? db : undefined };
}
