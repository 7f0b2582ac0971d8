// Max pooling forward (kernel, stride, padding, ceil mode as PyTorch). Padding never wins:
// only in-bounds taps are compared, first maximum in row-major window order, as PyTorch.
// Also records the winning tap's index within the input plane for the backward pass.

struct Params {
  planes: u32, inH: u32, inW: u32, outH: u32, outW: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32, padH: u32, padW: u32,
  padEndH: u32, padEndW: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  let outPlane = p.outH * p.outW;
  if (i >= p.planes * outPlane) { return; }
  let plane = i / outPlane;
  let r = i % outPlane;
  let h0 = i32((r / p.outW) * p.strideH) - i32(p.padH);
  let w0 = i32((r % p.outW) * p.strideW) - i32(p.padW);
  let base = plane * p.inH * p.inW;
  var best = -3.4e38;
  var bestIdx = 0xffffffffu;
  for (var kh = 0u; kh < p.kH; kh++) {
    let ih = h0 + i32(kh);
    if (ih < 0 || ih >= i32(p.inH)) { continue; }
    for (var kw = 0u; kw < p.kW; kw++) {
      let iw = w0 + i32(kw);
      if (iw < 0 || iw >= i32(p.inW)) { continue; }
      let idx = u32(ih) * p.inW + u32(iw);
      let v = x[base + idx];
      if (bestIdx == 0xffffffffu || v > best) { best = v; bestIdx = idx; }
    }
  }
  y[i] = best;
  argmax[i] = bestIdx;
}
