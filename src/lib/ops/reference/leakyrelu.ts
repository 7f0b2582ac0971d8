// CPU reference (f64) of the leaky ReLU: y = x for x > 0, else alpha * x; its gradient is 1 or
// alpha (alpha at exactly 0, as PyTorch).

export function leakyReluForward(x: ArrayLike<number>, alpha: number): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 ? v : alpha * v));
}

/** dF/dx from dF/dy = g at inputs x. */
export function leakyReluGradient(x: ArrayLike<number>, g: ArrayLike<number>, alpha: number): Float64Array {
  return Float64Array.from(g, (v, i) => (x[i] > 0 ? v : alpha * v));
}
