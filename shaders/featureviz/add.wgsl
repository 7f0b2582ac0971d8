// a[i] += b[i]: sums input gradients from several backward passes and adds gradients
// computed elsewhere into a seed.

struct Params { count: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> a: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  if (t >= p.count) { return; }
  a[t] += b[t];
}
