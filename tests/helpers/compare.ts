// Relative-error comparison of GPU (f32) results with references (f64 or PyTorch).

export interface Comparison { maxAbs: number; scale: number; rel: number; at: number }

/** max |a - b| relative to max |b| (the reference's scale), and where it happens. */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): Comparison {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  let maxAbs = 0;
  let scale = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxAbs)) { maxAbs = d; at = i; }
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { maxAbs, scale, rel: maxAbs / Math.max(scale, 1e-30), at };
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relTol: number, what: string): void {
  const c = compare(actual, expected);
  if (!(c.rel <= relTol)) {
    throw new Error(
      `${what}: relative error ${c.rel.toExponential(2)} > ${relTol} (max |diff| ${c.maxAbs.toExponential(2)} at ${c.at}: ` +
        `got ${actual[c.at]}, expected ${expected[c.at]}; scale ${c.scale.toExponential(2)})`,
    );
  }
}
