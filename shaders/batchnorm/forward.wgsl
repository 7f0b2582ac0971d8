// Batch normalization in inference mode (running statistics), per channel c:
// y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c.

struct Params { batch: u32, channels: u32, plane: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.batch * p.channels * p.plane) { return; }
  let c = (i / p.plane) % p.channels;
  let a = gamma[c] / sqrt(variance[c] + p.eps);
  y[i] = (x[i] - mean[c]) * a + beta[c];
}
