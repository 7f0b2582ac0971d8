// Softmax backward per image: dx_j = y_j * (dy_j - sum_k dy_k * y_k).

struct Params { batch: u32, features: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n = gid.x;
  if (n >= p.batch) { return; }
  let base = n * p.features;
  var dot = 0.0;
  for (var j = 0u; j < p.features; j++) { dot += dy[base + j] * y[base + j]; }
  for (var j = 0u; j < p.features; j++) {
    var v = y[base + j] * (dy[base + j] - dot);
    if (p.accumulate != 0u) { v += dx[base + j]; }
    dx[base + j] = v;
  }
}
