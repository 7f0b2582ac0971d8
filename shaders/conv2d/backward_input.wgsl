// Conv2d gradient with respect to its input (a transposed convolution done as a gather,
// so no atomics): dx[n,ci,ih,iw] = sum over co in ci's group and (kh,kw) with
// ih = oh*stride - pad + kh*dil of W[co,ci,kh,kw] * dy[n,co,oh,ow].
// Register tile: 4 input channels of one group (vec4 lanes of acc0..acc3) x 4
// consecutive input positions (acc0..acc3), positions handled as masked vec4 lanes.
// STRIDED adds the divisibility test stride > 1 needs; unit strides skip the divisions.
// `accumulate` adds to dx instead of overwriting it (inputs with several consumers).

struct Params {
  batch: u32, inC: u32, inH: u32, inW: u32,
  outC: u32, outH: u32, outW: u32, groups: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32,
  padH: u32, padW: u32, dilH: u32, dilW: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
//! include conv2d/weights
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

fn store(pos: u32, total: u32, inPlane: u32, ciBase: u32, ciLocal0: u32, cinG: u32, acc: vec4f) {
  if (pos >= total) { return; }
  let n = pos / inPlane;
  let r = pos % inPlane;
  for (var c = 0u; c < 4u; c++) {
    let ci = ciLocal0 + c;
    if (ci >= cinG) { return; }
    let idx = (n * p.inC + ciBase + ci) * inPlane + r;
    var v = acc[c];
    if (p.accumulate != 0u) { v += dx[idx]; }
    dx[idx] = v;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tile = gid.x + gid.z * nwg.x * WG;
  let inPlane = p.inH * p.inW;
  let total = p.batch * inPlane;
  let pos0 = tile * 4u;
  if (pos0 >= total) { return; }

  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let tilesPerGroup = (cinG + 3u) / 4u;
  let g = gid.y / tilesPerGroup;
  if (g >= p.groups) { return; }
  let ciLocal0 = (gid.y % tilesPerGroup) * 4u;
  let kArea = p.kH * p.kW;
  let outPlane = p.outH * p.outW;
  let outH = vec4i(i32(p.outH));
  let outW = vec4i(i32(p.outW));
  let zero = vec4i(0);

  let pos = min(vec4u(pos0) + vec4u(0u, 1u, 2u, 3u), vec4u(total - 1u));
  let n = pos / inPlane;
  let r = pos % inPlane;
  let ihp = vec4i(r / p.inW) + i32(p.padH);
  let iwp = vec4i(r % p.inW) + i32(p.padW);
  let dyBase = vec4i((n * p.outC + g * coutG) * outPlane);
  let wCol = min(vec4u(ciLocal0) + vec4u(0u, 1u, 2u, 3u), vec4u(cinG - 1u)) * kArea;

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var co = 0u; co < coutG; co++) {
    let wRow = (g * coutG + co) * cinG * kArea;
    let dyc = dyBase + i32(co * outPlane);
    for (var kh = 0u; kh < p.kH; kh++) {
      let th = ihp - i32(kh * p.dilH);
#if ${STRIDED}
      let oh = th / i32(p.strideH);
      let rowOk = (th >= zero) & (oh * i32(p.strideH) == th) & (oh < outH);
#else
      let oh = th;
      let rowOk = (th >= zero) & (oh < outH);
#endif
      let rowOff = dyc + oh * outW;
      for (var kw = 0u; kw < p.kW; kw++) {
        let tw = iwp - i32(kw * p.dilW);
#if ${STRIDED}
        let ow = tw / i32(p.strideW);
        let ok = rowOk & (tw >= zero) & (ow * i32(p.strideW) == tw) & (ow < outW);
#else
        let ow = tw;
        let ok = rowOk & (tw >= zero) & (ow < outW);
#endif
        let idx = select(zero, rowOff + ow, ok);
        let g4 = select(vec4f(0.0), vec4f(dy[idx.x], dy[idx.y], dy[idx.z], dy[idx.w]), ok);
        let kk = wRow + kh * p.kW + kw;
        let wv = vec4f(weightAt(kk + wCol.x), weightAt(kk + wCol.y), weightAt(kk + wCol.z), weightAt(kk + wCol.w));
        acc0 += wv * g4.x;
        acc1 += wv * g4.y;
        acc2 += wv * g4.z;
        acc3 += wv * g4.w;
      }
    }
  }

  let ciBase = g * cinG;
  store(pos0, total, inPlane, ciBase, ciLocal0, cinG, acc0);
  store(pos0 + 1u, total, inPlane, ciBase, ciLocal0, cinG, acc1);
  store(pos0 + 2u, total, inPlane, ciBase, ciLocal0, cinG, acc2);
  store(pos0 + 3u, total, inPlane, ciBase, ciLocal0, cinG, acc3);
}
