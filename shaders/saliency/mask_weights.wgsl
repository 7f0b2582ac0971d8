// Applies an edge mask to a layer's weights: out[t] = w[t] * mask[t / taps], every tap of
// a masked edge (kernel) zeroed. Circuits, ablation and FORCE run the network this way.

struct Params { count: u32, taps: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  if (t >= p.count) { return; }
  out[t] = w[t] * mask[t / p.taps];
}
