// CPU references of max, average and adaptive average pooling and their gradients
// (PyTorch semantics: padding never wins a max; avg divisor with or without padding; ONNX's
// asymmetric pads as padEnd).

import type { CpuTensor } from '../types';

export interface PoolGeometry {
  kernel: [number, number];
  stride: [number, number];
  /** Top and left padding. */
  padding: [number, number];
  /** Bottom and right padding when it differs from `padding` (ONNX's asymmetric pads). */
  padEnd?: [number, number];
  countIncludePad?: boolean;
  adaptive?: boolean;
}

/**
 * Window of output index o along one axis: [start, end) in the input, and its padded extent:
 * the window's cells inside [-pad, inLen + padEnd) (the countIncludePad divisor; PyTorch's rule,
 * and ONNX Runtime's with asymmetric pads).
 */
export function poolWindow(o: number, inLen: number, outLen: number, k: number, s: number, pad: number, adaptive: boolean, padEnd = pad) {
  if (adaptive) {
    const start = Math.floor((o * inLen) / outLen);
    const end = Math.ceil(((o + 1) * inLen) / outLen);
    return { start, end, padded: end - start };
  }
  let start = o * s - pad;
  let end = Math.min(start + k, inLen + padEnd);
  const padded = end - start;
  start = Math.max(start, 0);
  end = Math.min(end, inLen);
  return { start, end, padded };
}

function forEachWindow(
  x: CpuTensor,
  outShape: number[],
  g: PoolGeometry,
  f: (plane: number, outIdx: number, taps: number[], divisor: number) => void,
): void {
  const [C, H, W] = x.shape;
  const [, OH, OW] = outShape;
  const padEnd = g.padEnd ?? g.padding;
  for (let plane = 0; plane < x.batch * C; plane++)
    for (let oh = 0; oh < OH; oh++) {
      const wh = poolWindow(oh, H, OH, g.kernel[0], g.stride[0], g.padding[0], !!g.adaptive, padEnd[0]);
      for (let ow = 0; ow < OW; ow++) {
        const ww = poolWindow(ow, W, OW, g.kernel[1], g.stride[1], g.padding[1], !!g.adaptive, padEnd[1]);
        const taps: number[] = [];
        for (let ih = wh.start; ih < wh.end; ih++)
          for (let iw = ww.start; iw < ww.end; iw++) taps.push(plane * H * W + ih * W + iw);
        const divisor = g.countIncludePad ? wh.padded * ww.padded : (wh.end - wh.start) * (ww.end - ww.start);
        f(plane, (plane * OH + oh) * OW + ow, taps, divisor);
      }
    }
}

export function maxPoolForward(x: CpuTensor, outShape: number[], g: PoolGeometry): { y: CpuTensor; argmax: Int32Array } {
  const y = new Float64Array(x.batch * outShape[0] * outShape[1] * outShape[2]);
  const argmax = new Int32Array(y.length);
  forEachWindow(x, outShape, g, (_p, o, taps) => {
    let best = -Infinity;
    let at = -1;
    for (const t of taps) if (at < 0 || x.data[t] > best) { best = x.data[t]; at = t; }
    y[o] = best;
    argmax[o] = at;
  });
  return { y: { batch: x.batch, shape: outShape, data: y }, argmax };
}

export function maxPoolBackward(x: CpuTensor, outShape: number[], g: PoolGeometry, dy: CpuTensor): CpuTensor {
  const { argmax } = maxPoolForward(x, outShape, g);
  const dx = new Float64Array(x.data.length);
  argmax.forEach((t, o) => { dx[t] += dy.data[o]; });
  return { batch: x.batch, shape: x.shape, data: dx };
}

export function avgPoolForward(x: CpuTensor, outShape: number[], g: PoolGeometry): CpuTensor {
  const y = new Float64Array(x.batch * outShape[0] * outShape[1] * outShape[2]);
  forEachWindow(x, outShape, g, (_p, o, taps, divisor) => {
    let s = 0;
    for (const t of taps) s += x.data[t];
    y[o] = s / divisor;
  });
  return { batch: x.batch, shape: outShape, data: y };
}

export function avgPoolBackward(x: CpuTensor, outShape: number[], g: PoolGeometry, dy: CpuTensor): CpuTensor {
  const dx = new Float64Array(x.data.length);
  forEachWindow(x, outShape, g, (_p, o, taps, divisor) => {
    for (const t of taps) dx[t] += dy.data[o] / divisor;
  });
  return { batch: x.batch, shape: x.shape, data: dx };
}
