// Softmax over the features of each image (rows of [batch, features]), max-subtracted.

struct Params { batch: u32, features: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  if (n >= p.batch) { return; }
  let base = n * p.features;
  var m = x[base];
  for (var j = 1u; j < p.features; j++) { m = max(m, x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.features; j++) { s += exp(x[base + j] - m); }
  for (var j = 0u; j < p.features; j++) { y[base + j] = exp(x[base + j] - m) / s; }
}
