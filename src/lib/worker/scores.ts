// Turning class scores into what people read: a numerically stable row-wise softmax and
// the top-k classes of one row. Pure functions shared by the worker and the page.

/** Softmax of each row of a [rows, cols] matrix (max subtracted first, so large logits are safe). */
export function softmaxRows(logits: Float32Array, rows: number, cols: number): Float32Array {
  if (logits.length !== rows * cols) throw new RangeError(`expected ${rows}x${cols} scores, got ${logits.length}`);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, logits[o + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const e = Math.exp(logits[o + c] - max);
      out[o + c] = e;
      sum += e;
    }
    for (let c = 0; c < cols; c++) out[o + c] /= sum;
  }
  return out;
}

export interface Ranked {
  index: number;
  probability: number;
}

/** The k most probable classes of row `row`, best first (ties keep class order). */
export function topK(probabilities: Float32Array, cols: number, row: number, k: number): Ranked[] {
  const items: Ranked[] = [];
  for (let c = 0; c < cols; c++) items.push({ index: c, probability: probabilities[row * cols + c] });
  items.sort((a, b) => b.probability - a.probability || a.index - b.index);
  return items.slice(0, k);
}

/** Index of the largest value of row `row`. */
export function argmaxRow(values: Float32Array, cols: number, row: number): number {
  let best = 0;
  for (let c = 1; c < cols; c++) if (values[row * cols + c] > values[row * cols + best]) best = c;
  return best;
}
