// An elementwise activation, backward: dx = activation_dx(x, dy, a, b), from the op's own
// shaders/<OP>/activation.wgsl; `accumulate` adds to dx (a tensor read by several layers).

struct Params { count: u32, a: f32, b: f32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

//! include ${OP}/activation

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.count) { return; }
  var v = activation_dx(x[i], dy[i], p.a, p.b);
  if (p.accumulate != 0u) { v += dx[i]; }
  dx[i] = v;
}
