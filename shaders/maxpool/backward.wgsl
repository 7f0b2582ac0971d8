// Max pooling backward as a gather (deterministic, no atomics): each input position sums
// dy over the windows that contain it and whose recorded argmax is this position.

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32, outW: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32, padH: u32, padW: u32,
  padEndH: u32, padEndW: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

//! include common/pool_window

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  let inPlane = p.inH * p.inW;
  if (i >= p.planes * inPlane) { return; }
  let plane = i / inPlane;
  let r = i % inPlane;
  let ih = r / p.inW;
  let iw = r % p.inW;
  let rh = candidates(ih, p.inH, p.outH, p.kH, p.strideH, p.padH);
  let rw = candidates(iw, p.inW, p.outW, p.kW, p.strideW, p.padW);
  let outBase = plane * p.outH * p.outW;
  var s = 0.0;
  for (var oh = rh.x; oh <= rh.y; oh++) {
    for (var ow = rw.x; ow <= rw.y; ow++) {
      let o = outBase + u32(oh) * p.outW + u32(ow);
      if (argmax[o] == r) { s += dy[o]; }
    }
  }
  if (p.accumulate != 0u) { s += dx[i]; }
  dx[i] = s;
}
