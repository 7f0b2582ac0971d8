// Fourier parameterization, forward: a real image plane from its half spectrum, the inverse
// real 2D DFT written out as a sum (numpy's irfft2 for an H x W plane), each coefficient
// multiplied by its 1/frequency scale first. coeffs: [planes, H, WF, 2] (re, im); scale: [H, WF].

//! include featureviz/dft_phase

@group(0) @binding(1) var<storage, read> coeffs: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read_write> image: array<f32>;

override WG: u32 = 64;

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
