// Sums `slices` consecutive blocks of `len` values: out[i] = sum_s partial[s*len + i],
// added to what out holds when `accumulate`. Finishes split reductions (kernel gradients
// computed per slice of the batch, edge scores summed over a stream of batches).

struct Params { len: u32, slices: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.len) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.slices; k++) { s += partial[k * p.len + i]; }
  if (p.accumulate != 0u) { s += out[i]; }
  out[i] = s;
}
