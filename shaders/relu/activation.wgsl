// ReLU for shaders/elementwise/*: y = max(x, 0); dx = dy where x > 0, else 0 (as PyTorch: no
// gradient at exactly 0). REDIRECT (feature visualization's first steps): dx = dy also where
// dy > 0, so an input stuck below zero can still be pushed up.

fn activation(x: f32, a: f32, b: f32) -> f32 {
  return max(x, 0.0);
}

fn activation_dx(x: f32, dy: f32, a: f32, b: f32) -> f32 {
#if ${REDIRECT}
  return select(0.0, dy, x > 0.0 || dy > 0.0);
#else
  return select(0.0, dy, x > 0.0);
#endif
}
