// The Fourier parameterization's constants (Lucid's fft_image): half-spectrum size, and per
// coefficient the 1/frequency scale times the inverse DFT's normalization, folded into one
// factor per coefficient (with the factor 2 of the columns that stand for a conjugate pair).

/** Columns of the half spectrum of a width-w plane (numpy's rfft). */
export function spectrumWidth(w: number): number {
  return Math.floor(w / 2) + 1;
}

/** numpy.fft.fftfreq(n)[k]. */
function fftfreq(k: number, n: number): number {
  return (k <= Math.floor((n - 1) / 2) ? k : k - n) / n;
}

/**
 * [H, WF] factors for irfft_forward.wgsl: image = sum_k factor_k Re(X_k e^{i theta}). Lucid:
 * spectrum scaled by sqrt(HW) / max(|f|, 1/max(H, W)), inverse real DFT (1/(HW)), then / 4;
 * columns other than 0 and (even W) W/2 count twice (their conjugate half).
 */
export function spectrumScale(h: number, w: number): Float64Array {
  const wf = spectrumWidth(w);
  const out = new Float64Array(h * wf);
  for (let ky = 0; ky < h; ky++)
    for (let kx = 0; kx < wf; kx++) {
      const fy = fftfreq(ky, h);
      const fx = kx / w;
      const f = Math.max(Math.sqrt(fx * fx + fy * fy), 1 / Math.max(h, w));
      const pair = kx === 0 || (w % 2 === 0 && kx === w / 2) ? 1 : 2;
      out[ky * wf + kx] = (pair * Math.sqrt(h * w)) / f / (h * w) / 4;
    }
  return out;
}

/** irfft shaders' phase tables: cos and sin of 2 pi k / H (k < H), then of 2 pi k / W. */
export function twiddles(h: number, w: number): Float64Array {
  const out = new Float64Array(2 * h + 2 * w);
  for (let k = 0; k < h; k++) {
    out[k] = Math.cos((2 * Math.PI * k) / h);
    out[h + k] = Math.sin((2 * Math.PI * k) / h);
  }
  for (let k = 0; k < w; k++) {
    out[2 * h + k] = Math.cos((2 * Math.PI * k) / w);
    out[2 * h + w + k] = Math.sin((2 * Math.PI * k) / w);
  }
  return out;
}
