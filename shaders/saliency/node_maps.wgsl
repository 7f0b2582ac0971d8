// Node saliency from a node's map h and its gradient dh, one workgroup per channel:
// scores[c] (+)= sum over images n of (ABS_INSIDE) 1/m sum_q abs(h dh), or
// abs(1/m sum_q h dh), over the m positions q of channel c's map.

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
  var total = 0.0;
  for (var n = 0u; n < p.batch; n++) {
    let base = (n * p.channels + c) * p.plane;
    var s = 0.0;
    for (var q = lid.x; q < p.plane; q += WG) {
      let v = h[base + q] * dh[base + q];
#if ${ABS_INSIDE}
      s += abs(v);
#else
      s += v;
#endif
    }
    red[lid.x] = s;
    workgroupBarrier();
    for (var k = WG / 2u; k > 0u; k /= 2u) {
      if (lid.x < k) { red[lid.x] += red[lid.x + k]; }
      workgroupBarrier();
    }
    if (lid.x == 0u) { total += abs(red[0]) / f32(p.plane); }
    workgroupBarrier();
  }
  if (lid.x == 0u) {
    if (p.accumulate != 0u) { total += scores[c]; }
    scores[c] = total;
  }
}
