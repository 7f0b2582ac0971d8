// Fourier parameterization, forward: a real image plane from its half spectrum, the inverse
// real 2D DFT written out as a sum (numpy's irfft2 for an H x W plane), each coefficient
// multiplied by its 1/frequency scale first. coeffs: [planes, H, WF, 2] (re, im); scale: [H, WF].

struct Params { planes: u32, h: u32, w: u32, wf: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coeffs: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
// twiddle: cos(2 pi k / H) k < H, sin(2 pi k / H), cos(2 pi k / W) k < W, sin(2 pi k / W) (f64-exact).
@group(0) @binding(3) var<storage, read> twiddle: array<f32>;
@group(0) @binding(4) var<storage, read_write> image: array<f32>;

override WG: u32 = 64;

/** e^{i 2 pi (ky y / H + kx x / W)} from the tables (no trig on the GPU). */
fn phase(ky: u32, y: u32, kx: u32, x: u32) -> vec2f {
  let a = (ky * y) % p.h;
  let b = (kx * x) % p.w;
  let cy = twiddle[a];
  let sy = twiddle[p.h + a];
  let cx = twiddle[2u * p.h + b];
  let sx = twiddle[2u * p.h + p.w + b];
  return vec2f(cy * cx - sy * sx, sy * cx + cy * sx);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  let hw = p.h * p.w;
  if (t >= p.planes * hw) { return; }
  let plane = t / hw;
  let y = (t % hw) / p.w;
  let x = t % p.w;
  let base = plane * p.h * p.wf;
  var s = 0.0;
  for (var ky = 0u; ky < p.h; ky++) {
    for (var kx = 0u; kx < p.wf; kx++) {
      let e = phase(ky, y, kx, x);
      let k = ky * p.wf + kx;
      s += scale[k] * (coeffs[2u * (base + k)] * e.x - coeffs[2u * (base + k) + 1u] * e.y);
    }
  }
  image[t] = s;
}
