// Conv2d forward as an implicit GEMM (NCHW, groups, stride, padding, dilation).
// Each invocation keeps a 4x4 register tile: 4 output channels of one group (the vec4
// lanes of acc0..acc3) x 4 consecutive output positions of the flattened (image, row,
// column) index (acc0..acc3), and walks the reduction over (input channel, kernel row,
// kernel column) with no shared memory. The 4 positions are handled as vec4 lanes with
// masked loads (no per-lane branches), written out by hand so that compilers which do not
// unroll loops (SwiftShader) keep everything in registers.
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
//! include conv2d/weights
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

fn store(pos: u32, total: u32, outPlane: u32, co0: u32, coEnd: u32, acc: vec4f) {
  if (pos >= total) { return; }
  let n = pos / outPlane;
  let r = pos % outPlane;
  for (var c = 0u; c < 4u; c++) {
    let co = co0 + c;
    if (co >= coEnd) { return; }
    var v = acc[c];
    if (p.hasBias != 0u) { v += bias[co]; }
    y[(n * p.outC + co) * outPlane + r] = v;
  }
}

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
  if (g >= p.groups) { return; }
  let co0 = g * coutG + (gid.y % tilesPerGroup) * 4u;
  let coEnd = (g + 1u) * coutG;

  let inPlane = p.inH * p.inW;
  let wStride = cinG * p.kH * p.kW;
  let inH = vec4i(i32(p.inH));
  let inW = vec4i(i32(p.inW));
  let zero = vec4i(0);

  // Per-lane (position) window origin and image base offset.
  let pos = min(vec4u(pos0) + vec4u(0u, 1u, 2u, 3u), vec4u(total - 1u));
  let n = pos / outPlane;
  let r = pos % outPlane;
  let ih0 = vec4i((r / p.outW) * p.strideH) - i32(p.padH);
  let iw0 = vec4i((r % p.outW) * p.strideW) - i32(p.padW);
  let xBase = vec4i((n * p.inC + g * cinG) * inPlane);
  let wRow = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(coEnd - 1u)) * wStride;

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var k = 0u;
  for (var ci = 0u; ci < cinG; ci++) {
    let xc = xBase + i32(ci * inPlane);
    for (var kh = 0u; kh < p.kH; kh++) {
      let ih = ih0 + i32(kh * p.dilH);
      let rowOk = (ih >= zero) & (ih < inH);
      let rowOff = xc + ih * inW;
      for (var kw = 0u; kw < p.kW; kw++) {
        let iw = iw0 + i32(kw * p.dilW);
        let ok = rowOk & (iw >= zero) & (iw < inW);
        let idx = select(zero, rowOff + iw, ok);
        let xv = select(vec4f(0.0), vec4f(x[idx.x], x[idx.y], x[idx.z], x[idx.w]), ok);
        let wv = vec4f(weightAt(wRow.x + k), weightAt(wRow.y + k), weightAt(wRow.z + k), weightAt(wRow.w + k));
        acc0 += wv * xv.x;
        acc1 += wv * xv.y;
        acc2 += wv * xv.z;
        acc3 += wv * xv.w;
        k++;
      }
    }
  }

  store(pos0, total, outPlane, co0, coEnd, acc0);
  store(pos0 + 1u, total, outPlane, co0, coEnd, acc1);
  store(pos0 + 2u, total, outPlane, co0, coEnd, acc2);
  store(pos0 + 3u, total, outPlane, co0, coEnd, acc3);
}
