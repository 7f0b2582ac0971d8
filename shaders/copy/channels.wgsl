// Copies a block of channels between two NCHW tensors of the same batch and plane size:
// dst[n, dstOffset + c, q] = (accumulate ? dst[...] : 0) + src[n, srcOffset + c, q]
// for c < count. Concat forward and backward, add, and identity gradients use it.

struct Params {
  batch: u32, plane: u32, count: u32,
  srcChannels: u32, srcOffset: u32, dstChannels: u32, dstOffset: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.batch * p.count * p.plane) { return; }
  let q = i % p.plane;
  let c = (i / p.plane) % p.count;
  let n = i / (p.plane * p.count);
  let d = (n * p.dstChannels + p.dstOffset + c) * p.plane + q;
  var v = src[(n * p.srcChannels + p.srcOffset + c) * p.plane + q];
  if (p.accumulate != 0u) { v += dst[d]; }
  dst[d] = v;
}
