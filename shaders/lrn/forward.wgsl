// Local response normalization across channels (PyTorch LocalResponseNorm):
// scale_c = k + alpha/size * sum of x_j^2 for j in [c - size/2, c + (size-1)/2],
// y_c = x_c * scale_c^-beta. The scale is kept for the backward pass.

struct Params { batch: u32, channels: u32, plane: u32, size: u32, alpha: f32, beta: f32, k: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> scale: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.batch * p.channels * p.plane) { return; }
  let q = i % p.plane;
  let c = (i / p.plane) % p.channels;
  let n = i / (p.plane * p.channels);
  let lo = max(i32(c) - i32(p.size / 2u), 0);
  let hi = min(i32(c) + i32((p.size - 1u) / 2u), i32(p.channels) - 1);
  var s = 0.0;
  for (var j = lo; j <= hi; j++) {
    let v = x[(n * p.channels + u32(j)) * p.plane + q];
    s += v * v;
  }
  let sc = p.k + p.alpha / f32(p.size) * s;
  scale[i] = sc;
  y[i] = x[i] * pow(sc, -p.beta);
}
