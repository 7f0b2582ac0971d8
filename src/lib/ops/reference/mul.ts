// CPU reference (f64) of the elementwise product y = a * b, b either of a's shape or broadcast
// over a's spatial axes ([C, 1, 1] against [C, H, W]), and its gradients (product rule; the
// broadcast factor's gradient summed over H, W).

import type { CpuTensor } from '../types';

/** How many consecutive elements of a share one element of b: 1, or H * W when b is [C, 1, 1]. */
export function repeatsOf(a: CpuTensor, b: CpuTensor): number {
  return a.data.length / b.data.length;
}

export function mulForward(a: CpuTensor, b: CpuTensor): Float64Array {
  const rep = repeatsOf(a, b);
  return Float64Array.from(a.data, (v, i) => v * b.data[Math.floor(i / rep)]);
}

/** dF/da and dF/db from dF/dy = g. */
export function mulBackward(a: CpuTensor, b: CpuTensor, g: CpuTensor): { da: Float64Array; db: Float64Array } {
  const rep = repeatsOf(a, b);
  const da = new Float64Array(a.data.length);
  const db = new Float64Array(b.data.length);
  for (let i = 0; i < a.data.length; i++) {
    const j = Math.floor(i / rep);
    da[i] = g.data[i] * b.data[j];
    db[j] += g.data[i] * a.data[i];
  }
  return { da, db };
}
