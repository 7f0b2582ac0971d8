// Colour decorrelation (Lucid/Lucent): the raw image's three channels are mixed by the square
// root of ImageNet's colour covariance (normalized by its largest column norm) before the
// sigmoid, so the optimizer steps in decorrelated colour space. Grey models use the identity.

const SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

/** Lucent's color_correlation_normalized: SVD_SQRT / max column norm. */
export function colourCorrelation(): number[][] {
  let maxNorm = 0;
  for (let c = 0; c < 3; c++) maxNorm = Math.max(maxNorm, Math.hypot(SVD_SQRT[0][c], SVD_SQRT[1][c], SVD_SQRT[2][c]));
  return SVD_SQRT.map((row) => row.map((v) => v / maxNorm));
}

/**
 * The C x C mix applied per pixel, row-major [out, in]: out_c = sum_d M[c][d] raw_d. Lucent
 * computes t_flat @ M^T, i.e. the same thing. Identity unless RGB with decorrelation on.
 */
export function colourMix(channels: number, decorrelate: boolean): Float64Array {
  const m = new Float64Array(channels * channels);
  if (channels === 3 && decorrelate) colourCorrelation().forEach((row, c) => row.forEach((v, d) => (m[c * 3 + d] = v)));
  else for (let c = 0; c < channels; c++) m[c * channels + c] = 1;
  return m;
}
