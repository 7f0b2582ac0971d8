// Conv2d forward as an implicit GEMM (NCHW, groups, stride, padding, dilation).
// Each invocation keeps a 4x4 register tile: 4 output channels of one group x 4
// consecutive output positions of the flattened (image, row, column) index, and walks
// the reduction over (input channel, kernel row, kernel column) with no shared memory.
// Grid: x = position tiles (folded into z past the per-dimension limit), y = channel tiles.

struct Params {
  batch: u32, inC: u32, inH: u32, inW: u32,
  outC: u32, outH: u32, outW: u32, groups: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32,
  padH: u32, padW: u32, dilH: u32, dilW: u32,
  hasBias: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tile = gid.x + gid.z * nwg.x * WG;
  let outPlane = p.outH * p.outW;
  let total = p.batch * outPlane;
  let pos0 = tile * 4u;
  if (pos0 >= total) { return; }

  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let tilesPerGroup = (coutG + 3u) / 4u;
  let g = gid.y / tilesPerGroup;
  let co0 = g * coutG + (gid.y % tilesPerGroup) * 4u;
  let coEnd = (g + 1u) * coutG;
  if (g >= p.groups) { return; }

  let inPlane = p.inH * p.inW;
  let kArea = p.kH * p.kW;
  let wStride = cinG * kArea;

  // Per-position origin of the receptive window and image base offsets.
  var ih0: array<i32, 4>;
  var iw0: array<i32, 4>;
  var xBase: array<u32, 4>;
  for (var j = 0u; j < 4u; j++) {
    let pos = min(pos0 + j, total - 1u);
    let n = pos / outPlane;
    let r = pos % outPlane;
    ih0[j] = i32((r / p.outW) * p.strideH) - i32(p.padH);
    iw0[j] = i32((r % p.outW) * p.strideW) - i32(p.padW);
    xBase[j] = (n * p.inC + g * cinG) * inPlane;
  }
  var wRow: array<u32, 4>;
  for (var r = 0u; r < 4u; r++) { wRow[r] = min(co0 + r, coEnd - 1u) * wStride; }

  var acc: array<vec4f, 4>;
  for (var ci = 0u; ci < cinG; ci++) {
    for (var kh = 0u; kh < p.kH; kh++) {
      for (var kw = 0u; kw < p.kW; kw++) {
        let k = (ci * p.kH + kh) * p.kW + kw;
        let wv = vec4f(w[wRow[0] + k], w[wRow[1] + k], w[wRow[2] + k], w[wRow[3] + k]);
        let dh = i32(kh * p.dilH);
        let dw = i32(kw * p.dilW);
        for (var j = 0u; j < 4u; j++) {
          let ih = ih0[j] + dh;
          let iw = iw0[j] + dw;
          if (ih >= 0 && ih < i32(p.inH) && iw >= 0 && iw < i32(p.inW)) {
            acc[j] += wv * x[xBase[j] + ci * inPlane + u32(ih) * p.inW + u32(iw)];
          }
        }
      }
    }
  }

  for (var j = 0u; j < 4u; j++) {
    let pos = pos0 + j;
    if (pos >= total) { break; }
    let n = pos / outPlane;
    let r = pos % outPlane;
    for (var c = 0u; c < 4u; c++) {
      let co = co0 + c;
      if (co >= coEnd) { break; }
      var v = acc[j][c];
      if (p.hasBias != 0u) { v += bias[co]; }
      y[(n * p.outC + co) * outPlane + r] = v;
    }
  }
}
