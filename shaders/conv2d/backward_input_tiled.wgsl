// Conv2d gradient to its input as an implicit GEMM with workgroup-memory tiles (the family for
// real GPUs). GEMM view per group: dx[pos, ci] = sum over k = (co, kh, kw) of
// dyPatch[pos, k] * w[co, ci, kh, kw], where dyPatch gathers dy[n, co, oh, ow] with
// ih = oh*stride - pad + kh*dil (taps that miss the stride grid or the map are zero).
// A workgroup of (TILE/4)^2 invocations owns a TILE-position x TILE-channel tile of dx; per step of 16
// taps it stages both tiles in var<workgroup>, and each invocation accumulates a 4x4 register
// block. `accumulate` adds to dx instead of overwriting it. Same uniforms and bindings as
// backward_input.wgsl; grid: x = position tiles (folded into z), y = group x channel tiles.

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

// TILE (a define, 32 or 64) is the output tile edge; the host dispatches (TILE / 4)^2 invocations.
const TM = ${TILE}u;
const TN = ${TILE}u;
const TK = 16u;

var<workgroup> patchTile: array<array<f32, TM>, TK>;
var<workgroup> weightTile: array<array<f32, TN>, TK>;

// WG = (TILE / 4)^2: one 4x4 block per invocation.
override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) t: u32) {
  let inPlane = p.inH * p.inW;
  let total = p.batch * inPlane;
  let tile = wid.x + wid.z * nwg.x;
  if (tile * TM >= total) { return; }
  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let tilesPerGroup = (cinG + TN - 1u) / TN;
  let g = wid.y / tilesPerGroup;
  if (g >= p.groups) { return; }
  let ciLocal0 = (wid.y % tilesPerGroup) * TN;
  let kArea = p.kH * p.kW;
  let kLen = coutG * kArea;
  let outPlane = p.outH * p.outW;

  let loadM = t % TM;
  let loadPos = tile * TM + loadM;
  let posOk = loadPos < total;
  let lp = min(loadPos, total - 1u);
  let ln = lp / inPlane;
  let lr = lp % inPlane;
  let ihp = i32(lr / p.inW) + i32(p.padH);
  let iwp = i32(lr % p.inW) + i32(p.padW);
  let dyBase = (ln * p.outC + g * coutG) * outPlane;
  let loadK = t % TK;
  let sH = i32(p.strideH);
  let sW = i32(p.strideW);

  let tx = t % (TM / 4u);
  let ty = t / (TM / 4u);
  let loads = TK * TM / WG;
  let rowStep = WG / TM;
  let colStep = WG / TK;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k0 = 0u; k0 < kLen; k0 += TK) {
    for (var j = 0u; j < loads; j++) {
      let kk = t / TM + rowStep * j;
      let k = k0 + kk;
      var v = 0.0;
      if (posOk && k < kLen) {
        let co = k / kArea;
        let r = k % kArea;
        let th = ihp - i32((r / p.kW) * p.dilH);
        let tw = iwp - i32((r % p.kW) * p.dilW);
        let oh = th / sH;
        let ow = tw / sW;
        if (th >= 0 && tw >= 0 && oh * sH == th && ow * sW == tw && oh < i32(p.outH) && ow < i32(p.outW)) {
          v = dy[dyBase + co * outPlane + u32(oh) * p.outW + u32(ow)];
        }
      }
      patchTile[kk][loadM] = v;
      let ci = ciLocal0 + t / TK + colStep * j;
      let kw = k0 + loadK;
      var wv = 0.0;
      if (ci < cinG && kw < kLen) {
        let co = kw / kArea;
        wv = weightAt(((g * coutG + co) * cinG + ci) * kArea + kw % kArea);
      }
      weightTile[loadK][t / TK + colStep * j] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let a = vec4f(patchTile[kk][tx * 4u], patchTile[kk][tx * 4u + 1u], patchTile[kk][tx * 4u + 2u], patchTile[kk][tx * 4u + 3u]);
      let b = vec4f(weightTile[kk][ty * 4u], weightTile[kk][ty * 4u + 1u], weightTile[kk][ty * 4u + 2u], weightTile[kk][ty * 4u + 3u]);
      acc0 += b * a.x;
      acc1 += b * a.y;
      acc2 += b * a.z;
      acc3 += b * a.w;
    }
    workgroupBarrier();
  }

  let accs = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let pos = tile * TM + tx * 4u + i;
    if (pos >= total) { break; }
    let n = pos / inPlane;
    let r = pos % inPlane;
    for (var c = 0u; c < 4u; c++) {
      let ciL = ciLocal0 + ty * 4u + c;
      if (ciL >= cinG) { break; }
      let idx = (n * p.inC + g * cinG + ciL) * inPlane + r;
      var v = accs[i][c];
      if (p.accumulate != 0u) { v += dx[idx]; }
      dx[idx] = v;
    }
  }
}
