// Fourier parameterization, adjoint of irfft_forward: the gradient with respect to the half
// spectrum from the gradient with respect to the image plane (the transpose of the same sum).
// grad: [planes, H, W]; out: [planes, H, WF, 2] (re, im); scale: [H, WF].

//! include featureviz/dft_phase

@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

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
