// CPU reference (f64) of the hard sigmoid: y = max(0, min(1, alpha * x + beta)) (ONNX
// HardSigmoid; torch.nn.Hardsigmoid is alpha 1/6, beta 0.5). Gradient alpha * dy strictly inside
// 0 < alpha * x + beta < 1, else 0 (torch: -3 < x < 3).

export function hardSigmoidForward(x: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  return Float64Array.from(x, (v) => Math.max(0, Math.min(1, alpha * v + beta)));
}

/** dF/dx from dF/dy = g at inputs x. */
export function hardSigmoidGradient(x: ArrayLike<number>, g: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  return Float64Array.from(g, (v, i) => {
    const t = alpha * x[i] + beta;
    return t > 0 && t < 1 ? alpha * v : 0;
  });
}
