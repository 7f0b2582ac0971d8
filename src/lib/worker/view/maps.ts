// The 2D maps the inspector shows, computed on the CPU from read-back activations: one
// channel's plane, a kernel shaped for display, and an edge's pre-sum contribution
// a_{o<-i}(p) = sum_k W[o,i,k] x_i(p+k) (stride, padding and dilation as the layer's).

import type { ConvGeometry } from '../../ops/reference/conv2d';
import type { KernelData, MapData } from '../protocol';

/** A map for display with its range; `node` is the model node the values come from. */
export function mapData(data: Float32Array, height: number, width: number, node: string): MapData {
  if (data.length !== height * width) throw new RangeError(`a ${height}x${width} map needs ${height * width} values, got ${data.length}`);
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!data.length) min = max = 0;
  return { data, height, width, min, max, node };
}

/** Kernel weights for display (copied), with their largest magnitude. */
export function kernelData(weights: ArrayLike<number>, height: number, width: number): KernelData {
  if (weights.length !== height * width) throw new RangeError(`a ${height}x${width} kernel needs ${height * width} weights, got ${weights.length}`);
  const copy = Float32Array.from(weights);
  let maxAbs = 0;
  for (const v of copy) maxAbs = Math.max(maxAbs, Math.abs(v));
  return { weights: copy, height, width, maxAbs };
}

/** Channel `c` of one image's [C, H, W] (or [F]) activations, as an H x W plane (1 x 1 for [F]). */
export function channelPlane(values: Float32Array, shape: number[], c: number): { data: Float32Array; height: number; width: number } {
  const [h, w] = shape.length === 3 ? [shape[1], shape[2]] : [1, 1];
  const plane = h * w;
  if (c < 0 || c >= shape[0]) throw new RangeError(`channel ${c} is outside ${shape[0]} channels`);
  return { data: values.slice(c * plane, (c + 1) * plane), height: h, width: w };
}

/** The pre-sum map of one kernel over one input channel plane, accumulated in f64. */
export function edgePreSum(
  x: Float32Array, height: number, width: number, kernel: ArrayLike<number>, g: ConvGeometry, outHeight: number, outWidth: number,
): Float32Array {
  const [kh, kw] = g.kernel;
  if (x.length !== height * width) throw new RangeError(`input plane has ${x.length} values, expected ${height}x${width}`);
  if (kernel.length !== kh * kw) throw new RangeError(`kernel has ${kernel.length} weights, expected ${kh}x${kw}`);
  const out = new Float32Array(outHeight * outWidth);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let sum = 0;
      for (let a = 0; a < kh; a++) {
        const iy = oy * g.stride[0] - g.padding[0] + a * g.dilation[0];
        if (iy < 0 || iy >= height) continue;
        for (let b = 0; b < kw; b++) {
          const ix = ox * g.stride[1] - g.padding[1] + b * g.dilation[1];
          if (ix < 0 || ix >= width) continue;
          sum += kernel[a * kw + b] * x[iy * width + ix];
        }
      }
      out[oy * outWidth + ox] = sum;
    }
  }
  return out;
}

/** The dot product of a linear edge's weight run with its input run, in f64. */
export function runDot(weights: ArrayLike<number>, x: ArrayLike<number>): number {
  if (weights.length !== x.length) throw new RangeError(`weight run of ${weights.length} against ${x.length} inputs`);
  let s = 0;
  for (let k = 0; k < weights.length; k++) s += weights[k] * x[k];
  return s;
}
