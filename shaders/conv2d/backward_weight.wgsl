// Conv2d gradient with respect to its kernels, split over slices of the batch:
// partial[s, co, k] = sum over images n of slice s, and output positions (oh, ow), of
// dy[n,co,oh,ow] * x[n, g*cinG + ci, oh*stride - pad + kh*dil, ow*stride - pad + kw*dil],
// with k = (ci, kh, kw) flattened. One image per slice gives per-image gradients;
// several slices are summed afterwards by common/sum_slices.
// Register tile: 4 output channels x 4 kernel taps. Grid: x = tap tiles, y = channel
// tiles (per group), z = slices.

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

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let kArea = p.kH * p.kW;
  let kLen = cinG * kArea;
  let k0 = gid.x * 4u;
  if (k0 >= kLen) { return; }
  let tilesPerGroup = (coutG + 3u) / 4u;
  let g = gid.y / tilesPerGroup;
  if (g >= p.groups) { return; }
  let co0 = g * coutG + (gid.y % tilesPerGroup) * 4u;
  let coEnd = (g + 1u) * coutG;
  let slice = gid.z;
  let nStart = slice * p.imagesPerSlice;
  let nEnd = min(nStart + p.imagesPerSlice, p.batch);

  let inPlane = p.inH * p.inW;
  let outPlane = p.outH * p.outW;

  var dh: array<i32, 4>;
  var dw: array<i32, 4>;
  var xOff: array<u32, 4>;
  for (var j = 0u; j < 4u; j++) {
    let k = min(k0 + j, kLen - 1u);
    let ci = k / kArea;
    let kk = k % kArea;
    dh[j] = i32((kk / p.kW) * p.dilH) - i32(p.padH);
    dw[j] = i32((kk % p.kW) * p.dilW) - i32(p.padW);
    xOff[j] = (g * cinG + ci) * inPlane;
  }
  var coc: array<u32, 4>;
  for (var c = 0u; c < 4u; c++) { coc[c] = min(co0 + c, coEnd - 1u) * outPlane; }

  var acc: array<vec4f, 4>;
  for (var n = nStart; n < nEnd; n++) {
    let dyBase = n * p.outC * outPlane;
    let xBase = n * p.inC * inPlane;
    for (var oh = 0u; oh < p.outH; oh++) {
      let hBase = i32(oh * p.strideH);
      for (var ow = 0u; ow < p.outW; ow++) {
        let o = dyBase + oh * p.outW + ow;
        let g4 = vec4f(dy[o + coc[0]], dy[o + coc[1]], dy[o + coc[2]], dy[o + coc[3]]);
        let wBase = i32(ow * p.strideW);
        for (var j = 0u; j < 4u; j++) {
          let ih = hBase + dh[j];
          let iw = wBase + dw[j];
          if (ih >= 0 && ih < i32(p.inH) && iw >= 0 && iw < i32(p.inW)) {
            acc[j] += g4 * x[xBase + xOff[j] + u32(ih) * p.inW + u32(iw)];
          }
        }
      }
    }
  }

  let sliceBase = slice * p.outC * kLen;
  for (var c = 0u; c < 4u; c++) {
    let co = co0 + c;
    if (co >= coEnd) { break; }
    for (var j = 0u; j < 4u; j++) {
      let k = k0 + j;
      if (k >= kLen) { break; }
      partial[sliceBase + co * kLen + k] = acc[j][c];
    }
  }
}
