// Leaky ReLU backward: dx = dy where x > 0, else alpha * dy (as PyTorch: the slope alpha at
// exactly 0); `accumulate` adds to dx (several consumers).

struct Params { count: u32, alpha: f32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.count) { return; }
  let g = dy[i];
  var v = select(p.alpha * g, g, x[i] > 0.0);
  if (p.accumulate != 0u) { v += dx[i]; }
  dx[i] = v;
}
