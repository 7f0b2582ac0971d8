// Conv family "gemm", backward to input: gathers one chunk's gradient patch matrix
// dCol [group][(input channel, kernel row, kernel column)][position p0 + n] back into dX (NCHW).
// Each dX entry of the images the chunk touches sums its taps whose output position lies in the
// chunk; the chunk holding an image's first position overwrites (unless flag: add to the existing
// gradient), later chunks add. One invocation per 4 neighbouring entries of a row (vec4 lanes, so a
// software adapter pays each loop iteration once per 4): no atomics, a fixed order of summation.

//! include conv2d/gemm_params
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dcol: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  let inPlane = p.inH * p.inW;
  let outPlane = p.outH * p.outW;
  let quadsW = (p.inW + 3u) / 4u;
  let rowsPerImage = p.inC * p.inH;
  let img0 = p.p0 / outPlane;
  let img1 = (p.p0 + p.len - 1u) / outPlane;
  if (i >= (img1 - img0 + 1u) * rowsPerImage * quadsW) { return; }
  let row = i / quadsW;
  let img = img0 + row / rowsPerImage;
  let c = (row % rowsPerImage) / p.inH;
  let ih = row % p.inH;
  let iw0 = (i % quadsW) * 4u;
  let cinG = p.inC / p.groups;
  let g = c / cinG;
  let ci = c % cinG;
  let rowsG = cinG * p.kH * p.kW;
  let end = p.p0 + p.len;

  let zero = vec4i(0);
  let iw = vec4i(i32(iw0)) + vec4i(0, 1, 2, 3);
  let laneOk = iw < vec4i(i32(p.inW));
  let sW = vec4i(i32(p.strideW));
  var s = vec4f(0.0);
  for (var kh = 0u; kh < p.kH; kh++) {
    let th = i32(ih + p.padH) - i32(kh * p.dilH);
    if (th < 0 || u32(th) % p.strideH != 0u) { continue; }
    let oh = u32(th) / p.strideH;
    if (oh >= p.outH) { continue; }
    let rowPos = i32(img * outPlane + oh * p.outW);
    for (var kw = 0u; kw < p.kW; kw++) {
      let tw = iw + i32(p.padW) - i32(kw * p.dilW);
      let twSafe = select(zero, tw, tw >= zero);
      let ow = twSafe / sW;
      let pos = vec4i(rowPos) + ow;
      let ok = laneOk & (tw >= zero) & (twSafe % sW == zero) & (ow < vec4i(i32(p.outW)))
        & (pos >= vec4i(i32(p.p0))) & (pos < vec4i(i32(end)));
      let base = i32((g * rowsG + (ci * p.kH + kh) * p.kW + kw) * p.ncp) - i32(p.p0);
      let idx = select(zero, vec4i(base) + pos, ok);
      s += select(vec4f(0.0), vec4f(dcol[idx.x], dcol[idx.y], dcol[idx.z], dcol[idx.w]), ok);
    }
  }
  let at = (img * p.inC + c) * inPlane + ih * p.inW + iw0;
  let fresh = p.flag == 0u && img * outPlane >= p.p0;
  for (var l = 0u; l < 4u; l++) {
    if (iw0 + l < p.inW) { dx[at + l] = select(dx[at + l] + s[l], s[l], fresh); }
  }
}
