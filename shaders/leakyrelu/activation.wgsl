// Leaky ReLU for shaders/elementwise/*: y = x where x > 0, else a * x (a = alpha, torch's
// negative_slope; b unused); dx = dy where x > 0, else a * dy (the slope a at exactly 0, as PyTorch).

fn activation(x: f32, a: f32, b: f32) -> f32 {
  return select(a * x, x, x > 0.0);
}

fn activation_dx(x: f32, dy: f32, a: f32, b: f32) -> f32 {
  return select(a * dy, dy, x > 0.0);
}
