// CPU references in f64 for the feature-visualization shaders: the inverse real DFT of the
// scaled half spectrum and its adjoint, the colour mix + sigmoid, the affine bilinear
// resampling with normalization, and one Adam step. Tests compare the GPU with these.

import { spectrumScale, spectrumWidth } from './fft';

/** coeffs [planes, H, WF, 2] -> image [planes, H, W]. */
export function irfftRef(coeffs: ArrayLike<number>, planes: number, h: number, w: number): Float64Array {
  const wf = spectrumWidth(w);
  const scale = spectrumScale(h, w);
  const out = new Float64Array(planes * h * w);
  for (let p = 0; p < planes; p++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let ky = 0; ky < h; ky++)
          for (let kx = 0; kx < wf; kx++) {
            const th = 2 * Math.PI * ((ky * y) / h + (kx * x) / w);
            const k = (p * h + ky) * wf + kx;
            s += scale[ky * wf + kx] * (coeffs[2 * k] * Math.cos(th) - coeffs[2 * k + 1] * Math.sin(th));
          }
        out[(p * h + y) * w + x] = s;
      }
  return out;
}

/** pixels = sigmoid(mix raw) per pixel; raw, pixels [batch, C, plane]. */
export function toPixelsRef(raw: ArrayLike<number>, batch: number, channels: number, plane: number, mix: ArrayLike<number>): Float64Array {
  const out = new Float64Array(batch * channels * plane);
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++)
      for (let q = 0; q < plane; q++) {
        let s = 0;
        for (let d = 0; d < channels; d++) s += mix[c * channels + d] * raw[(n * channels + d) * plane + q];
        out[(n * channels + c) * plane + q] = 1 / (1 + Math.exp(-s));
      }
  return out;
}

/** Bilinear sampling through the per-image affine maps (12 values each), then (v - mean) / std. */
export function affineRef(
  pixels: ArrayLike<number>, batch: number, channels: number, h: number, w: number,
  xf: ArrayLike<number>, fill: number, mean: number[], std: number[],
): Float64Array {
  const out = new Float64Array(batch * channels * h * w);
  for (let n = 0; n < batch; n++) {
    const a = xf.length ? Array.from({ length: 6 }, (_, k) => xf[n * 12 + k]) : [1, 0, 0, 0, 1, 0];
    for (let c = 0; c < channels; c++) {
      const base = (n * channels + c) * h * w;
      const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? fill : pixels[base + y * w + x]);
      for (let row = 0; row < h; row++)
        for (let col = 0; col < w; col++) {
          // The same f32 arithmetic as the shader decides which neighbours are read.
          const sx = Math.fround(Math.fround(Math.fround(a[0] * col) + Math.fround(a[1] * row)) + a[2]);
          const sy = Math.fround(Math.fround(Math.fround(a[3] * col) + Math.fround(a[4] * row)) + a[5]);
          const x0 = Math.floor(sx), y0 = Math.floor(sy);
          const fx = sx - x0, fy = sy - y0;
          const v = (1 - fx) * (1 - fy) * at(x0, y0) + fx * (1 - fy) * at(x0 + 1, y0) + (1 - fx) * fy * at(x0, y0 + 1) + fx * fy * at(x0 + 1, y0 + 1);
          out[base + row * w + col] = (v - mean[c]) / std[c];
        }
    }
  }
  return out;
}

export interface AdamState {
  theta: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** One Adam ascent step t (1-based), as torch.optim.Adam minimizing -F. */
export function adamRef(s: AdamState, grad: ArrayLike<number>, t: number, lr: number, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): void {
  for (let i = 0; i < s.theta.length; i++) {
    s.m[i] = beta1 * s.m[i] + (1 - beta1) * grad[i];
    s.v[i] = beta2 * s.v[i] + (1 - beta2) * grad[i] * grad[i];
    const mh = s.m[i] / (1 - beta1 ** t);
    const vh = s.v[i] / (1 - beta2 ** t);
    s.theta[i] += (lr * mh) / (Math.sqrt(vh) + eps);
  }
}

/**
 * Per image of `per` values: the ordinary gradient if any of it is nonzero (and, with
 * `positive`, the image's objective is above 0), else the fallback.
 */
export function keepOrdinaryRef(ordinary: ArrayLike<number>, objective: ArrayLike<number>, fallback: ArrayLike<number>, batch: number, per: number, positive: boolean): Float64Array {
  const out = Float64Array.from(fallback);
  for (let b = 0; b < batch; b++) {
    if (positive && !(objective[b] > 0)) continue;
    let alive = false;
    for (let i = 0; i < per; i++) if (ordinary[b * per + i] !== 0) alive = true;
    if (alive) for (let i = 0; i < per; i++) out[b * per + i] = ordinary[b * per + i];
  }
  return out;
}
