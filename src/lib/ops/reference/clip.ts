// CPU reference (f64) of clip: y = min(max(x, min), max) (torch.clamp, ONNX Clip; ReLU6 is
// min 0, max 6). Its gradient passes dy where min <= x <= max, both bounds included, as torch.clamp.

export function clipForward(x: ArrayLike<number>, min: number, max: number): Float64Array {
  return Float64Array.from(x, (v) => Math.min(Math.max(v, min), max));
}

/** dF/dx from dF/dy = g at inputs x. */
export function clipGradient(x: ArrayLike<number>, g: ArrayLike<number>, min: number, max: number): Float64Array {
  return Float64Array.from(g, (v, i) => (x[i] >= min && x[i] <= max ? v : 0));
}
