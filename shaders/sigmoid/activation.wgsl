// Sigmoid for shaders/elementwise/*: y = 1 / (1 + exp(-x)), computed from e = exp(-|x|) so that
// exp never overflows; dx = dy * y * (1 - y). The parameters a, b are unused.

fn sigmoid_of(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn activation(x: f32, a: f32, b: f32) -> f32 {
  return sigmoid_of(x);
}

fn activation_dx(x: f32, dy: f32, a: f32, b: f32) -> f32 {
  let y = sigmoid_of(x);
  return dy * y * (1.0 - y);
}
