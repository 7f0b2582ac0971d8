// Clip for shaders/elementwise/*: y = min(max(x, a), b) with a = min, b = max (torch.clamp,
// ONNX Clip); dx = dy where a <= x <= b, else 0 (bounds included, as torch.clamp's backward).

fn activation(x: f32, a: f32, b: f32) -> f32 {
  return min(max(x, a), b);
}

fn activation_dx(x: f32, dy: f32, a: f32, b: f32) -> f32 {
  return select(0.0, dy, x >= a && x <= b);
}
