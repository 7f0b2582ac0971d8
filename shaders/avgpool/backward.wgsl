// Average pooling backward as a gather: each input position sums dy / divisor over the
// windows (as in avgpool/forward) that contain it. ADAPTIVE selects adaptive windows.

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32, outW: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32, padH: u32, padW: u32,
  padEndH: u32, padEndW: u32,
  countIncludePad: u32, accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

//! include common/pool_window

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  let inPlane = p.inH * p.inW;
  if (i >= p.planes * inPlane) { return; }
  let plane = i / inPlane;
  let r = i % inPlane;
  let ih = i32(r / p.inW);
  let iw = i32(r % p.inW);
  let ch = candidates(u32(ih), p.inH, p.outH, p.kH, p.strideH, p.padH);
  let cw = candidates(u32(iw), p.inW, p.outW, p.kW, p.strideW, p.padW);
  let outBase = plane * p.outH * p.outW;
  var s = 0.0;
  for (var oh = ch.x; oh <= ch.y; oh++) {
    let wh = window(u32(oh), p.inH, p.outH, p.kH, p.strideH, p.padH, p.padEndH);
    if (ih < wh.x || ih >= wh.y) { continue; }
    for (var ow = cw.x; ow <= cw.y; ow++) {
      let ww = window(u32(ow), p.inW, p.outW, p.kW, p.strideW, p.padW, p.padEndW);
      if (iw < ww.x || iw >= ww.y) { continue; }
      var divisor = f32((wh.y - wh.x) * (ww.y - ww.x));
      if (p.countIncludePad != 0u) { divisor = f32(wh.z * ww.z); }
      s += dy[outBase + u32(oh) * p.outW + u32(ow)] / divisor;
    }
  }
  if (p.accumulate != 0u) { s += dx[i]; }
  dx[i] = s;
}
