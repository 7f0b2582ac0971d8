// Hard swish for shaders/elementwise/*: y = x * min(max(x + 3, 0), 6) / 6 (torch's Hardswish);
// dx as torch's hardswish_backward: 0 for x < -3, dy * (x / 3 + 0.5) for -3 <= x <= 3, dy
// above. The parameters a, b are unused.

fn activation(x: f32, a: f32, b: f32) -> f32 {
  return x * clamp(x + 3.0, 0.0, 6.0) / 6.0;
}

fn activation_dx(x: f32, dy: f32, a: f32, b: f32) -> f32 {
  if (x < -3.0) { return 0.0; }
  if (x <= 3.0) { return dy * (x / 3.0 + 0.5); }
  return dy;
}
