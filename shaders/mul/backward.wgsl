// Elementwise product, backward, for one input: its gradient is dy times the other factor.
// Plain: grad[i] (+)= dy[i] * other[i / rep] over count elements (rep > 1: the other factor is
// the broadcast scale). REDUCE (the broadcast scale's own gradient): one workgroup per element j
// of the scale, grad[j] (+)= sum over q < rep of dy[j*rep + q] * other[j*rep + q], count = scale
// elements. `accumulate` adds to what grad holds (a tensor read by several layers, or twice).

struct Params { count: u32, rep: u32, accumulate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> other: array<f32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;

override WG: u32 = 64;

#if ${REDUCE}
var<workgroup> partialSums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = wid.x + wid.z * nwg.x;
  let valid = j < p.count;
  let n = select(0u, p.rep, valid);
  let base = j * p.rep;
  var s = 0.0;
  for (var q = lid.x; q < n; q += WG) {
    s += dy[base + q] * other[base + q];
  }
  partialSums[lid.x] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid.x < stride) { partialSums[lid.x] += partialSums[lid.x + stride]; }
    workgroupBarrier();
  }
  if (valid && lid.x == 0u) {
    var v = partialSums[0];
    if (p.accumulate != 0u) { v += grad[j]; }
    grad[j] = v;
  }
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.count) { return; }
  var v = dy[i] * other[i / p.rep];
  if (p.accumulate != 0u) { v += grad[i]; }
  grad[i] = v;
}
#endif
