// Raw parameterized image to pixels in [0, 1]: colours mixed by a C x C matrix (the colour
// decorrelation for RGB, the identity otherwise), then a sigmoid, as Lucid/Lucent do.
// raw, pixels: [batch, C, H*W]; mix: [C, C] row-major (out channel, in channel).

struct Params { batch: u32, channels: u32, plane: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> raw: array<f32>;
@group(0) @binding(2) var<storage, read> mix: array<f32>;
@group(0) @binding(3) var<storage, read_write> pixels: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let t = gid.x + gid.z * nwg.x * WG;
  let per = p.channels * p.plane;
  if (t >= p.batch * per) { return; }
  let n = t / per;
  let c = (t % per) / p.plane;
  let q = t % p.plane;
  var s = 0.0;
  for (var d = 0u; d < p.channels; d++) { s += mix[c * p.channels + d] * raw[n * per + d * p.plane + q]; }
  pixels[t] = 1.0 / (1.0 + exp(-s));
}
