// Fourier parameterization, forward: a real image plane from its half spectrum, the inverse
// real 2D DFT written out as a sum (numpy's irfft2 for an H x W plane), each coefficient
// multiplied by its 1/frequency scale first. coeffs: [planes, H, WF, 2] (re, im); scale: [H, WF].

struct Params { planes: u32, h: u32, w: u32, wf: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> coeffs: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> image: array<f32>;

override WG: u32 = 64;
const TAU = 6.283185307179586;

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
    let ay = f32((ky * y) % p.h) / f32(p.h);
    for (var kx = 0u; kx < p.wf; kx++) {
      let theta = TAU * (ay + f32((kx * x) % p.w) / f32(p.w));
      let k = ky * p.wf + kx;
      s += scale[k] * (coeffs[2u * (base + k)] * cos(theta) - coeffs[2u * (base + k) + 1u] * sin(theta));
    }
  }
  image[t] = s;
}
