// Average pooling forward, PyTorch semantics. Regular: window [o*s - pad, o*s - pad + k)
// clipped to the padded input [-pad, in + padEnd) for the divisor (countIncludePad) or to the
// input itself.
// ADAPTIVE: window [floor(o*in/out), ceil((o+1)*in/out)).

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32, outW: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32, padH: u32, padW: u32,
  padEndH: u32, padEndW: u32,
  countIncludePad: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

//! include common/pool_window

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  let outPlane = p.outH * p.outW;
  if (i >= p.planes * outPlane) { return; }
  let plane = i / outPlane;
  let r = i % outPlane;
  let wh = window(r / p.outW, p.inH, p.outH, p.kH, p.strideH, p.padH, p.padEndH);
  let ww = window(r % p.outW, p.inW, p.outW, p.kW, p.strideW, p.padW, p.padEndW);
  let base = plane * p.inH * p.inW;
  var s = 0.0;
  for (var ih = wh.x; ih < wh.y; ih++) {
    for (var iw = ww.x; iw < ww.y; iw++) {
      s += x[base + u32(ih) * p.inW + u32(iw)];
    }
  }
  var divisor = f32((wh.y - wh.x) * (ww.y - ww.x));
  if (p.countIncludePad != 0u) { divisor = f32(wh.z * ww.z); }
  y[i] = s / divisor;
}
