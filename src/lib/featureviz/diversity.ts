// Diversity of a batch of visualizations (Lucid's diversity objective): the mean over images i
// of the summed cosine similarity between i's Gram matrix (channels x channels over positions)
// and every other image's. Subtract it (weighted) from an objective to spread the batch out.
// Computed on the CPU from the node's activations (batch x C x positions) with its gradient.

/** S = (1/B) sum_i sum_{j != i} <G_i/|G_i|, G_j/|G_j|>, and dS/dy. y: [batch, channels, plane]. */
export function diversity(y: ArrayLike<number>, batch: number, channels: number, plane: number): { value: number; grad: Float64Array } {
  const cc = channels * channels;
  const per = channels * plane;
  const grams = new Float64Array(batch * cc);
  const norms = new Float64Array(batch);
  for (let n = 0; n < batch; n++) {
    const g = grams.subarray(n * cc, (n + 1) * cc);
    for (let a = 0; a < channels; a++)
      for (let b = a; b < channels; b++) {
        let s = 0;
        const ya = n * per + a * plane, yb = n * per + b * plane;
        for (let q = 0; q < plane; q++) s += y[ya + q] * y[yb + q];
        g[a * channels + b] = s;
        g[b * channels + a] = s;
      }
    let s2 = 0;
    for (let k = 0; k < cc; k++) s2 += g[k] * g[k];
    norms[n] = Math.sqrt(Math.max(s2, 1e-10));
    for (let k = 0; k < cc; k++) g[k] /= norms[n];
  }
  const total = new Float64Array(cc);
  for (let n = 0; n < batch; n++) for (let k = 0; k < cc; k++) total[k] += grams[n * cc + k];
  let value = 0;
  const grad = new Float64Array(batch * per);
  for (let n = 0; n < batch; n++) {
    const g = grams.subarray(n * cc, (n + 1) * cc);
    // H = dS/dGhat_n = (2/B) sum_{j != n} Ghat_j; dS/dG_n = (H - <H, Ghat_n> Ghat_n) / |G_n|.
    const h = new Float64Array(cc);
    let dot = 0;
    for (let k = 0; k < cc; k++) {
      const others = total[k] - g[k];
      value += (g[k] * others) / batch;
      h[k] = (2 / batch) * others;
      dot += h[k] * g[k];
    }
    for (let k = 0; k < cc; k++) h[k] = (h[k] - dot * g[k]) / norms[n];
    // dS/dy[a, q] = sum_b (D[a,b] + D[b,a]) y[b, q], D symmetric.
    for (let a = 0; a < channels; a++)
      for (let b = 0; b < channels; b++) {
        const d = 2 * h[a * channels + b];
        if (d === 0) continue;
        const ya = n * per + a * plane, yb = n * per + b * plane;
        for (let q = 0; q < plane; q++) grad[ya + q] += d * y[yb + q];
      }
  }
  return { value, grad };
}
