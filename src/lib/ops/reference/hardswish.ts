// CPU reference (f64) of the hard swish: y = x * min(max(x + 3, 0), 6) / 6 (torch.nn.Hardswish,
// ONNX HardSwish). Gradient as torch's hardswish_backward: 0 for x < -3, dy * (x / 3 + 0.5) for
// -3 <= x <= 3 (so -dy/2 at exactly -3 and 1.5 dy at exactly 3), dy for x > 3.

export function hardSwishForward(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6);
}

/** dF/dx from dF/dy = g at inputs x. */
export function hardSwishGradient(x: ArrayLike<number>, g: ArrayLike<number>): Float64Array {
  return Float64Array.from(g, (v, i) => (x[i] < -3 ? 0 : x[i] <= 3 ? v * (x[i] / 3 + 0.5) : v));
}
