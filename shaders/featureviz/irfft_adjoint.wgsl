// Fourier parameterization, adjoint of irfft_forward: the gradient with respect to the half
// spectrum from the gradient with respect to the image plane (the transpose of the same sum).
// grad: [planes, H, W]; out: [planes, H, WF, 2] (re, im); scale: [H, WF].

struct Params { planes: u32, h: u32, w: u32, wf: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
// twiddle: cos(2 pi k / H) k < H, sin(2 pi k / H), cos(2 pi k / W) k < W, sin(2 pi k / W) (f64-exact).
@group(0) @binding(3) var<storage, read> twiddle: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

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
  let nk = p.h * p.wf;
  if (t >= p.planes * nk) { return; }
  let plane = t / nk;
  let ky = (t % nk) / p.wf;
  let kx = t % p.wf;
  let base = plane * p.h * p.w;
  var re = 0.0;
  var im = 0.0;
  for (var y = 0u; y < p.h; y++) {
    for (var x = 0u; x < p.w; x++) {
      let e = phase(ky, y, kx, x);
      let g = grad[base + y * p.w + x];
      re += g * e.x;
      im -= g * e.y;
    }
  }
  let s = scale[ky * p.wf + kx];
  out[2u * t] = s * re;
  out[2u * t + 1u] = s * im;
}
