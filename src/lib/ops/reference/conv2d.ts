// CPU reference of conv2d (NCHW, stride, padding, dilation, groups) and its gradients,
// accumulated in f64: the oracle the WGSL kernels are tested against.

import type { CpuTensor } from '../types';

export interface ConvGeometry {
  kernel: [number, number];
  stride: [number, number];
  /** Top and left padding: output pixel y reads from y * stride - padding on. */
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  /**
   * Bottom and right padding when it differs from `padding` (ONNX's asymmetric pads). It only
   * sets the output size; every loop here runs over the output extent.
   */
  padEnd?: [number, number];
}

interface Dims {
  N: number; C: number; H: number; W: number; O: number; OH: number; OW: number;
  cinG: number; coutG: number;
}

function dims(x: CpuTensor, outShape: number[], g: ConvGeometry): Dims {
  const [C, H, W] = x.shape;
  const [O, OH, OW] = outShape;
  return { N: x.batch, C, H, W, O, OH, OW, cinG: C / g.groups, coutG: O / g.groups };
}

/** Calls f(n, o, oh, ow, ci, kh, kw, xIndex, wIndex) for every in-bounds tap. */
function forEachTap(
  d: Dims,
  g: ConvGeometry,
  f: (outIdx: number, xIdx: number, wIdx: number, n: number, o: number, ci: number) => void,
): void {
  const [KH, KW] = g.kernel;
  for (let n = 0; n < d.N; n++)
    for (let o = 0; o < d.O; o++) {
      const grp = Math.floor(o / d.coutG);
      for (let oh = 0; oh < d.OH; oh++)
        for (let ow = 0; ow < d.OW; ow++) {
          const outIdx = ((n * d.O + o) * d.OH + oh) * d.OW + ow;
          for (let ci = 0; ci < d.cinG; ci++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * g.stride[0] - g.padding[0] + kh * g.dilation[0];
              if (ih < 0 || ih >= d.H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * g.stride[1] - g.padding[1] + kw * g.dilation[1];
                if (iw < 0 || iw >= d.W) continue;
                const xIdx = ((n * d.C + grp * d.cinG + ci) * d.H + ih) * d.W + iw;
                const wIdx = ((o * d.cinG + ci) * KH + kh) * KW + kw;
                f(outIdx, xIdx, wIdx, n, o, ci);
              }
            }
        }
    }
}

export function conv2dForward(
  x: CpuTensor,
  weight: Float32Array,
  bias: Float32Array | undefined,
  outShape: number[],
  g: ConvGeometry,
): CpuTensor {
  const d = dims(x, outShape, g);
  const y = new Float64Array(d.N * d.O * d.OH * d.OW);
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / (d.OH * d.OW)) % d.O];
  forEachTap(d, g, (outIdx, xIdx, wIdx) => {
    y[outIdx] += weight[wIdx] * x.data[xIdx];
  });
  return { batch: d.N, shape: outShape, data: y };
}

/** Gradients of sum(dy * conv(x)) w.r.t. x, weight (per image when perImage) and bias. */
export function conv2dBackward(
  x: CpuTensor,
  weight: Float32Array,
  hasBias: boolean,
  dy: CpuTensor,
  g: ConvGeometry,
  perImage = false,
): { dx: CpuTensor; dw: Float64Array; db?: Float64Array } {
  const d = dims(x, dy.shape, g);
  const dx = new Float64Array(x.data.length);
  const dw = new Float64Array((perImage ? d.N : 1) * weight.length);
  forEachTap(d, g, (outIdx, xIdx, wIdx, n) => {
    const gy = dy.data[outIdx];
    dx[xIdx] += weight[wIdx] * gy;
    dw[(perImage ? n * weight.length : 0) + wIdx] += x.data[xIdx] * gy;
  });
  let db: Float64Array | undefined;
  if (hasBias) {
    db = new Float64Array(d.O);
    const plane = d.OH * d.OW;
    for (let i = 0; i < dy.data.length; i++) db[Math.floor(i / plane) % d.O] += dy.data[i];
  }
  return { dx: { batch: d.N, shape: x.shape, data: dx }, dw, db };
}
