// Node saliency from a node's map h and its gradient dh, one workgroup per channel:
// scores[c] (+)= sum over images n of (ABS_INSIDE) 1/m sum_q abs(h dh), or
// abs(1/m sum_q h dh), over the m positions q of channel c's map.
// One workgroup-memory reduction per channel, not per image (barriers are what software adapters
// pay most for): with ABS_INSIDE the invocations share every image's positions; without, each
// invocation sums whole images, since the absolute value is taken per image.

struct Params { batch: u32, channels: u32, plane: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> dh: array<f32>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;

override WG: u32 = 64;
var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wid.x;
  var s = 0.0;
#if ${ABS_INSIDE}
  for (var n = 0u; n < p.batch; n++) {
    let base = (n * p.channels + c) * p.plane;
    for (var q = lid.x; q < p.plane; q += WG) {
      s += abs(h[base + q] * dh[base + q]);
    }
  }
#else
  for (var n = lid.x; n < p.batch; n += WG) {
    let base = (n * p.channels + c) * p.plane;
    var m = 0.0;
    for (var q = 0u; q < p.plane; q++) {
      m += h[base + q] * dh[base + q];
    }
    s += abs(m);
  }
#endif
  red[lid.x] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k /= 2u) {
    if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    var total = red[0] / f32(p.plane);
    if (p.accumulate != 0u) { total += scores[c]; }
    scores[c] = total;
  }
}
