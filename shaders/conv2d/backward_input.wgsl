// Conv2d gradient with respect to its input (a transposed convolution done as a gather,
// so no atomics): dx[n,ci,ih,iw] = sum over co in ci's group and (kh,kw) with
// ih = oh*stride - pad + kh*dil of W[co,ci,kh,kw] * dy[n,co,oh,ow].
// Register tile: 4 input channels of one group x 4 consecutive input positions.
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
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override WG: u32 = 64;

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

  var ihp: array<i32, 4>;
  var iwp: array<i32, 4>;
  var dyBase: array<u32, 4>;
  for (var j = 0u; j < 4u; j++) {
    let pos = min(pos0 + j, total - 1u);
    let n = pos / inPlane;
    let r = pos % inPlane;
    ihp[j] = i32(r / p.inW) + i32(p.padH);
    iwp[j] = i32(r % p.inW) + i32(p.padW);
    dyBase[j] = (n * p.outC + g * coutG) * outPlane;
  }
  var wCol: array<u32, 4>;
  for (var c = 0u; c < 4u; c++) { wCol[c] = min(ciLocal0 + c, cinG - 1u) * kArea; }

  var acc: array<vec4f, 4>;
  for (var co = 0u; co < coutG; co++) {
    let wRow = (g * coutG + co) * cinG * kArea;
    for (var kh = 0u; kh < p.kH; kh++) {
      for (var kw = 0u; kw < p.kW; kw++) {
        let kk = kh * p.kW + kw;
        let wv = vec4f(w[wRow + wCol[0] + kk], w[wRow + wCol[1] + kk], w[wRow + wCol[2] + kk], w[wRow + wCol[3] + kk]);
        let dh = i32(kh * p.dilH);
        let dw = i32(kw * p.dilW);
        for (var j = 0u; j < 4u; j++) {
          let th = ihp[j] - dh;
          let tw = iwp[j] - dw;
          if (th < 0 || tw < 0) { continue; }
          let oh = u32(th) / p.strideH;
          let ow = u32(tw) / p.strideW;
          if (oh * p.strideH != u32(th) || ow * p.strideW != u32(tw) || oh >= p.outH || ow >= p.outW) { continue; }
          acc[j] += wv * dy[dyBase[j] + co * outPlane + oh * p.outW + ow];
        }
      }
    }
  }

  for (var j = 0u; j < 4u; j++) {
    let pos = pos0 + j;
    if (pos >= total) { break; }
    let n = pos / inPlane;
    let r = pos % inPlane;
    for (var c = 0u; c < 4u; c++) {
      let ci = ciLocal0 + c;
      if (ci >= cinG) { break; }
      let idx = (n * p.inC + g * cinG + ci) * inPlane + r;
      var v = acc[j][c];
      if (p.accumulate != 0u) { v += dx[idx]; }
      dx[idx] = v;
    }
  }
}
