// Transformation robustness, adjoint of affine_forward: the gradient at source pixel q of
// image n is the sum, over output pixels whose bilinear sample touches q, of that sample's
// weight on q times the output's gradient / std_c. A gather (no atomics): the candidate
// outputs lie within `reach` pixels of the inverse map of q (xf[6..12] = the inverse).

struct Params { batch: u32, channels: u32, h: u32, w: u32, reach: i32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> xf: array<f32>;
@group(0) @binding(3) var<storage, read> norm: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

//! include featureviz/affine_common

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  let plane = p.h * p.w;
  if (t >= p.batch * p.channels * plane) { return; }
  let n = t / (p.channels * plane);
  let c = (t / plane) % p.channels;
  let qy = i32((t % plane) / p.w);
  let qx = i32(t % p.w);
  let a = n * 12u + 6u;
  let ux = xf[a] * f32(qx) + xf[a + 1u] * f32(qy) + xf[a + 2u];
  let uy = xf[a + 3u] * f32(qx) + xf[a + 4u] * f32(qy) + xf[a + 5u];
  let cx = i32(round(ux));
  let cy = i32(round(uy));
  let base = (n * p.channels + c) * plane;
  var s = 0.0;
  for (var row = max(cy - p.reach, 0); row <= min(cy + p.reach, i32(p.h) - 1); row++) {
    for (var col = max(cx - p.reach, 0); col <= min(cx + p.reach, i32(p.w) - 1); col++) {
      let sp = samplePoint(n, u32(col), u32(row));
      let x0 = floor(sp.x);
      let y0 = floor(sp.y);
      let dx = qx - i32(x0);
      let dy = qy - i32(y0);
      if (dx < 0 || dx > 1 || dy < 0 || dy > 1) { continue; }
      let fx = sp.x - x0;
      let fy = sp.y - y0;
      let wx = select(1.0 - fx, fx, dx == 1);
      let wy = select(1.0 - fy, fy, dy == 1);
      s += wx * wy * grad[base + u32(row) * p.w + u32(col)];
    }
  }
  out[t] = s / norm[p.channels + c];
}
