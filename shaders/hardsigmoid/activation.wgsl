// Hard sigmoid for shaders/elementwise/*: y = max(0, min(1, a * x + b)) with a = alpha, b = beta
// (ONNX HardSigmoid; torch's Hardsigmoid is a = 1/6, b = 0.5); dx = a * dy strictly inside
// 0 < a * x + b < 1, else 0 (torch: -3 < x < 3).

fn activation(x: f32, a: f32, b: f32) -> f32 {
  return clamp(a * x + b, 0.0, 1.0);
}

fn activation_dx(x: f32, dy: f32, a: f32, b: f32) -> f32 {
  let t = a * x + b;
  return select(0.0, a * dy, t > 0.0 && t < 1.0);
}
