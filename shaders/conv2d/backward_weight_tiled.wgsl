// Conv2d gradient to its kernels as a GEMM with workgroup-memory tiles (the family for real
// GPUs), split over slices of the batch: partial[s, co, k] = sum over output positions q of
// slice s's images of dy[q, co] * patch[q, k], k = (ci, kh, kw) and patch the input window
// (padding, stride, dilation). A workgroup of (TILE/4)^2 invocations owns a TILE-channel x TILE-tap tile;
// per step of 16 positions it stages the dy tile and the gathered input tile in
// var<workgroup>, and each invocation accumulates a 4x4 register block. Same uniforms and
// bindings as backward_weight.wgsl; grid: x = tap tiles, y = group x channel tiles, z = slices.

struct Params {
  batch: u32, inC: u32, inH: u32, inW: u32,
  outC: u32, outH: u32, outW: u32, groups: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32,
  padH: u32, padW: u32, dilH: u32, dilW: u32,
  imagesPerSlice: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read_write> partial: array<f32>;

// TILE (a define, 32 or 64) is the output tile edge; the host dispatches (TILE / 4)^2 invocations.
const TC = ${TILE}u;
const TT = ${TILE}u;
const TQ = 16u;

var<workgroup> dyTile: array<array<f32, TC>, TQ>;
var<workgroup> patchTile: array<array<f32, TT>, TQ>;

// WG = (TILE / 4)^2: one 4x4 block per invocation.
override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) t: u32) {
  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let kArea = p.kH * p.kW;
  let kLen = cinG * kArea;
  let k0 = wid.x * TT;
  if (k0 >= kLen) { return; }
  let tilesPerGroup = (coutG + TC - 1u) / TC;
  let g = wid.y / tilesPerGroup;
  if (g >= p.groups) { return; }
  let coLocal0 = (wid.y % tilesPerGroup) * TC;
  let slice = wid.z;
  let nStart = min(slice * p.imagesPerSlice, p.batch);
  let nEnd = min(nStart + p.imagesPerSlice, p.batch);
  let inPlane = p.inH * p.inW;
  let outPlane = p.outH * p.outW;
  let qStart = nStart * outPlane;
  let qEnd = nEnd * outPlane;

  let loadQ = t % TQ;
  let tx = t % (TT / 4u);
  let ty = t / (TT / 4u);
  let loads = TQ * TT / WG;
  let slotStep = WG / TQ;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var q0 = qStart; q0 < qEnd; q0 += TQ) {
    let q = q0 + loadQ;
    let qOk = q < qEnd;
    let n = q / outPlane;
    let r = q % outPlane;
    let ihBase = i32((r / p.outW) * p.strideH) - i32(p.padH);
    let iwBase = i32((r % p.outW) * p.strideW) - i32(p.padW);
    for (var j = 0u; j < loads; j++) {
      let slot = t / TQ + slotStep * j;
      let coL = coLocal0 + slot;
      var d = 0.0;
      if (qOk && coL < coutG) { d = dy[(n * p.outC + g * coutG + coL) * outPlane + r]; }
      dyTile[loadQ][slot] = d;
      let k = k0 + slot;
      var v = 0.0;
      if (qOk && k < kLen) {
        let ci = k / kArea;
        let kr = k % kArea;
        let ih = ihBase + i32((kr / p.kW) * p.dilH);
        let iw = iwBase + i32((kr % p.kW) * p.dilW);
        if (ih >= 0 && ih < i32(p.inH) && iw >= 0 && iw < i32(p.inW)) {
          v = x[(n * p.inC + g * cinG + ci) * inPlane + u32(ih) * p.inW + u32(iw)];
        }
      }
      patchTile[loadQ][slot] = v;
    }
    workgroupBarrier();
    for (var qq = 0u; qq < TQ; qq++) {
      let a = vec4f(patchTile[qq][tx * 4u], patchTile[qq][tx * 4u + 1u], patchTile[qq][tx * 4u + 2u], patchTile[qq][tx * 4u + 3u]);
      let b = vec4f(dyTile[qq][ty * 4u], dyTile[qq][ty * 4u + 1u], dyTile[qq][ty * 4u + 2u], dyTile[qq][ty * 4u + 3u]);
      acc0 += b * a.x;
      acc1 += b * a.y;
      acc2 += b * a.z;
      acc3 += b * a.w;
    }
    workgroupBarrier();
  }

  let base = slice * p.outC * kLen;
  let accs = array<vec4f, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let k = k0 + tx * 4u + i;
    if (k >= kLen) { break; }
    for (var c = 0u; c < 4u; c++) {
      let coL = coLocal0 + ty * 4u + c;
      if (coL >= coutG) { break; }
      partial[base + (g * coutG + coL) * kLen + k] = accs[i][c];
    }
  }
}
