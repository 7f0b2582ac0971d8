// Elementwise product, forward: y[i] = a[i] * b[i / rep], with rep = 1 when b has a's shape and
// rep = H * W when b is a [C, 1, 1] channel scale of a [C, H, W] map (per image, NCHW).

struct Params { count: u32, rep: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.count) { return; }
  y[i] = a[i] * b[i / p.rep];
}
