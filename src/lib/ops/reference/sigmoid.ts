// CPU reference (f64) of the logistic sigmoid: y = 1 / (1 + exp(-x)) (torch.sigmoid, ONNX
// Sigmoid); its gradient is y * (1 - y), as PyTorch computes it from the output.

export function sigmoidForward(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => 1 / (1 + Math.exp(-v)));
}

/** dF/dx from dF/dy = g at inputs x. */
export function sigmoidGradient(x: ArrayLike<number>, g: ArrayLike<number>): Float64Array {
  const y = sigmoidForward(x);
  return Float64Array.from(g, (v, i) => v * y[i] * (1 - y[i]));
}
