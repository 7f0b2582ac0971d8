// Conv2d forward as an implicit GEMM with workgroup-memory tiles (the family for real GPUs).
// GEMM view per group: y[pos, co] = sum over k = (ci, kh, kw) of patch[pos, k] * w[co, k],
// pos the flattened (image, row, column) output index. A workgroup of (TILE/4)^2 invocations owns
// a TILE-position x TILE-channel output tile; per step of 16 reduction taps it stages the input
// patch tile (gathered with padding, stride and dilation) and the weight tile in
// var<workgroup>, then each invocation accumulates a 4x4 register block (4 channels as vec4
// lanes x 4 positions). Grid: x = position tiles (folded into z past the per-dimension
// limit), y = group x channel tiles. Same uniforms and bindings as forward.wgsl.

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
  let outPlane = p.outH * p.outW;
  let total = p.batch * outPlane;
  let tile = wid.x + wid.z * nwg.x;
  if (tile * TM >= total) { return; }
  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let tilesPerGroup = (coutG + TN - 1u) / TN;
  let g = wid.y / tilesPerGroup;
  if (g >= p.groups) { return; }
  let coLocal0 = (wid.y % tilesPerGroup) * TN;
  let kArea = p.kH * p.kW;
  let kLen = cinG * kArea;
  let inPlane = p.inH * p.inW;

  // This invocation stages position column t % TM of the patch tile (rows t/TM + rowStep*j)
  // and tap column t % TK of the weight tile (channels t/TK + colStep*j).
  let loadM = t % TM;
  let loadPos = tile * TM + loadM;
  let posOk = loadPos < total;
  let lp = min(loadPos, total - 1u);
  let ln = lp / outPlane;
  let lr = lp % outPlane;
  let ih0 = i32((lr / p.outW) * p.strideH) - i32(p.padH);
  let iw0 = i32((lr % p.outW) * p.strideW) - i32(p.padW);
  let xBase = (ln * p.inC + g * cinG) * inPlane;
  let loadK = t % TK;

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
        let ci = k / kArea;
        let r = k % kArea;
        let ih = ih0 + i32((r / p.kW) * p.dilH);
        let iw = iw0 + i32((r % p.kW) * p.dilW);
        if (ih >= 0 && ih < i32(p.inH) && iw >= 0 && iw < i32(p.inW)) {
          v = x[xBase + ci * inPlane + u32(ih) * p.inW + u32(iw)];
        }
      }
      patchTile[kk][loadM] = v;
      let nn = t / TK + colStep * j;
      let co = coLocal0 + nn;
      let kw = k0 + loadK;
      var wv = 0.0;
      if (co < coutG && kw < kLen) { wv = weightAt((g * coutG + co) * kLen + kw); }
      weightTile[loadK][nn] = wv;
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
    let n = pos / outPlane;
    let r = pos % outPlane;
    for (var c = 0u; c < 4u; c++) {
      let coL = coLocal0 + ty * 4u + c;
      if (coL >= coutG) { break; }
      let co = g * coutG + coL;
      var v = accs[i][c];
      if (p.hasBias != 0u) { v += bias[co]; }
      y[(n * p.outC + co) * outPlane + r] = v;
    }
  }
}
