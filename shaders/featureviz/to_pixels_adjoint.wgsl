// Adjoint of to_pixels: the gradient with respect to the raw image from the gradient with
// respect to the pixels, through the sigmoid (p (1 - p)) and the transposed colour mix.
// gradPixels, pixels, out: [batch, C, H*W]; mix: [C, C] row-major.

struct Params { batch: u32, channels: u32, plane: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> gradPixels: array<f32>;
@group(0) @binding(2) var<storage, read> pixels: array<f32>;
@group(0) @binding(3) var<storage, read> mix: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  let per = p.channels * p.plane;
  if (t >= p.batch * per) { return; }
  let n = t / per;
  let d = (t % per) / p.plane;
  let q = t % p.plane;
  var s = 0.0;
  for (var c = 0u; c < p.channels; c++) {
    let i = n * per + c * p.plane + q;
    let v = pixels[i];
    s += mix[c * p.channels + d] * gradPixels[i] * v * (1.0 - v);
  }
  out[t] = s;
}
