// Batch normalization (inference) parameter gradients, one workgroup per channel:
// dgamma_c = sum dy * (x - mean_c) / sqrt(var_c + eps), dbeta_c = sum dy,
// over every image and position of the batch.

struct Params { batch: u32, channels: u32, plane: u32, eps: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> variance: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbeta: array<f32>;

override WG: u32 = 64;
var<workgroup> sumG: array<f32, WG>;
var<workgroup> sumB: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wid.x;
  let count = p.batch * p.plane;
  let m = mean[c];
  var g = 0.0;
  var b = 0.0;
  for (var i = lid.x; i < count; i += WG) {
    let idx = ((i / p.plane) * p.channels + c) * p.plane + i % p.plane;
    g += dy[idx] * (x[idx] - m);
    b += dy[idx];
  }
  sumG[lid.x] = g;
  sumB[lid.x] = b;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (lid.x < s) {
      sumG[lid.x] += sumG[lid.x + s];
      sumB[lid.x] += sumB[lid.x + s];
    }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    dgamma[c] = sumG[0] / sqrt(variance[c] + p.eps);
    dbeta[c] = sumB[0];
  }
}
