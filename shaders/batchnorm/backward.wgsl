// Batch normalization (inference) backward to the input: dx = dy * gamma_c / sqrt(var_c + eps).

struct Params { batch: u32, channels: u32, plane: u32, eps: f32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.batch * p.channels * p.plane) { return; }
  let c = (i / p.plane) % p.channels;
  var v = dy[i] * gamma[c] / sqrt(variance[c] + p.eps);
  if (p.accumulate != 0u) { v += dx[i]; }
  dx[i] = v;
}
