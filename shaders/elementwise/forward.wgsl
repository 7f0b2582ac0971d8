// An elementwise activation, forward: y = activation(x, a, b). The op's own file
// shaders/<OP>/activation.wgsl defines activation() and activation_dx(); `a` and `b` are its
// two parameters (leaky ReLU's slope in a; clip's min and max; unused ones are 0).

struct Params { count: u32, a: f32, b: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

//! include ${OP}/activation

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.count) { return; }
  y[i] = activation(x[i], p.a, p.b);
}
