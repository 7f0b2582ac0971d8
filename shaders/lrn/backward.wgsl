// Local response normalization backward. With s_c the forward scale:
// dx_j = dy_j * s_j^-beta - 2*alpha*beta/size * x_j * sum over c with j in window(c)
// (c in [j - (size-1)/2, j + size/2]) of dy_c * x_c * s_c^(-beta-1).

struct Params { batch: u32, channels: u32, plane: u32, size: u32, alpha: f32, beta: f32, k: f32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.batch * p.channels * p.plane) { return; }
  let q = i % p.plane;
  let j = (i / p.plane) % p.channels;
  let n = i / (p.plane * p.channels);
  let lo = max(i32(j) - i32((p.size - 1u) / 2u), 0);
  let hi = min(i32(j) + i32(p.size / 2u), i32(p.channels) - 1);
  var s = 0.0;
  for (var c = lo; c <= hi; c++) {
    let idx = (n * p.channels + u32(c)) * p.plane + q;
    s += dy[idx] * x[idx] * pow(scale[idx], -p.beta - 1.0);
  }
  var v = dy[i] * pow(scale[i], -p.beta) - 2.0 * p.alpha * p.beta / f32(p.size) * x[i] * s;
  if (p.accumulate != 0u) { v += dx[i]; }
  dx[i] = v;
}
