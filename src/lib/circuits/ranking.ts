// Ranking kernels for a cut: how many a keep fraction keeps (the pruning paper's ceil), and
// which ones are the top k of a set.

/** Kernels kept of n for a keep fraction: ceil(keep * n), at least 1 (float noise such as 0.1 * 30 = 3.0000000000000004 ignored). */
export function keepCount(keep: number, n: number): number {
  return Math.max(1, Math.ceil(keep * n - 1e-9));
}

/** Indices of the top `k` edges flagged in `among` (ties: lower index first). */
export function topEdges(scores: Float32Array, among: Uint8Array, k: number): Uint32Array {
  const idx: number[] = [];
  for (let e = 0; e < scores.length; e++) if (among[e]) idx.push(e);
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  return Uint32Array.from(idx.slice(0, k));
}
