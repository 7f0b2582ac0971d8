// Transformation robustness, forward: every output pixel u = (col, row) of image n samples
// the pixel image bilinearly at x = A_n u + b_n (pad, jitter, scale and rotation composed
// into one affine map per image), with the constant `fill` outside the image, and writes it
// normalized ((v - mean_c) / std_c) as the network's input.
// xf: [batch, 12] = a00 a01 b0 a10 a11 b1 (source x from u) then the inverse map, unused here.

struct Params { batch: u32, channels: u32, h: u32, w: u32, fill: f32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> pixels: array<f32>;
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
  let row = (t % plane) / p.w;
  let col = t % p.w;
  let s = samplePoint(n, col, row);
  let x0 = floor(s.x);
  let y0 = floor(s.y);
  let fx = s.x - x0;
  let fy = s.y - y0;
  let base = (n * p.channels + c) * plane;
  let ix = i32(x0);
  let iy = i32(y0);
  let v = (1.0 - fx) * (1.0 - fy) * at(base, ix, iy) + fx * (1.0 - fy) * at(base, ix + 1, iy)
        + (1.0 - fx) * fy * at(base, ix, iy + 1) + fx * fy * at(base, ix + 1, iy + 1);
  out[t] = (v - norm[c]) / norm[p.channels + c];
}

fn at(base: u32, x: i32, y: i32) -> f32 {
  if (x < 0 || y < 0 || x >= i32(p.w) || y >= i32(p.h)) { return p.fill; }
  return pixels[base + u32(y) * p.w + u32(x)];
}
