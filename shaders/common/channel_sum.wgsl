// Per-channel sums over images and positions, one workgroup per (channel, slice):
// out[slice, c] = sum over images n of the slice and positions q of a[n,c,q]
// (times b[n,c,q] when PRODUCT). One image per slice gives per-image sums.
// Used for bias gradients (sum of dy) and batchnorm scale gradients (sum of dy * x).

struct Params { batch: u32, channels: u32, plane: u32, imagesPerSlice: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
#if ${PRODUCT}
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#else
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#endif

override WG: u32 = 64;
var<workgroup> partialSums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wid.x;
  let slice = wid.y;
  let nStart = slice * p.imagesPerSlice;
  let nEnd = min(nStart + p.imagesPerSlice, p.batch);
  let count = (nEnd - nStart) * p.plane;
  var s = 0.0;
  for (var i = lid.x; i < count; i += WG) {
    let n = nStart + i / p.plane;
    let idx = (n * p.channels + c) * p.plane + i % p.plane;
#if ${PRODUCT}
    s += a[idx] * b[idx];
#else
    s += a[idx];
#endif
  }
  partialSums[lid.x] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid.x < stride) { partialSums[lid.x] += partialSums[lid.x + stride]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { out[slice * p.channels + c] = partialSums[0]; }
}
