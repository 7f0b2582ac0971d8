// Compares sampled GPU results with CPU values computed in f64, entry by entry. The error
// is measured against the sum of |terms| of that entry (f32 rounding grows with it), so a
// wrong index or an unwritten output fails while accumulation order does not.

export interface SampledValue {
  /** Index into the GPU result. */
  index: number;
  /** CPU value (f64). */
  value: number;
  /** Sum of |terms| that make up the value (its rounding scale). */
  absSum: number;
}

export interface CheckResult {
  checked: number;
  /** Largest |gpu - cpu| / (absSum + tiny) over the sample. */
  maxRelError: number;
}

/** Relative tolerance against the sum of |terms|: f32 accumulation stays far below it. */
export const REL_TOL = 1e-4;

/** Throws (aborting the benchmark) on the first entry off by more than REL_TOL. */
export function checkSampled(what: string, gpu: Float32Array, expected: SampledValue[], relTol = REL_TOL): CheckResult {
  let maxRel = 0;
  for (const e of expected) {
    const got = gpu[e.index];
    const rel = Math.abs(got - e.value) / (e.absSum + 1e-30);
    if (!(rel <= relTol)) {
      throw new Error(
        `${what}: GPU result differs from the CPU at index ${e.index}: got ${got}, expected ${e.value} ` +
          `(error ${Number.isFinite(rel) ? rel.toExponential(2) : rel} of the terms' scale ${e.absSum.toExponential(2)}, tolerance ${relTol})`,
      );
    }
    maxRel = Math.max(maxRel, rel);
  }
  return { checked: expected.length, maxRelError: maxRel };
}

/** `count` distinct-ish indices in [0, n), always including the first and the last. */
export function sampleIndices(n: number, count: number, random: () => number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>([0, n - 1]);
  while (out.size < count) out.add(Math.floor(random() * n));
  return [...out];
}
