// The phase tables of the Fourier parameterization, shared by irfft_forward and its adjoint
// (included, not a pipeline): the uniform shape, the twiddle table and e^{i 2 pi (...)} from it.

struct Params { planes: u32, h: u32, w: u32, wf: u32 }

@group(0) @binding(0) var<uniform> p: Params;
// twiddle: cos(2 pi k / H) k < H, sin(2 pi k / H), cos(2 pi k / W) k < W, sin(2 pi k / W) (f64-exact).
@group(0) @binding(3) var<storage, read> twiddle: array<f32>;

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
