// Conv2d gradient with respect to its kernels, split over slices of the batch:
// partial[s, co, k] = sum over images n of slice s, and output positions (oh, ow), of
// dy[n,co,oh,ow] * x[n, g*cinG + ci, oh*stride - pad + kh*dil, ow*stride - pad + kw*dil],
// with k = (ci, kh, kw) flattened. One image per slice gives per-image gradients;
// several slices are summed afterwards by common/sum_slices.
// Register tile: 4 output channels (vec4 lanes) x 4 kernel taps (acc0..acc3); the 4 taps'
// input values are loaded as masked vec4 lanes. Grid: x = tap tiles, y = channel tiles
// (per group), z = slices.

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

fn store(base: u32, co0: u32, coEnd: u32, k: u32, kLen: u32, acc: vec4f) {
  if (k >= kLen) { return; }
  for (var c = 0u; c < 4u; c++) {
    let co = co0 + c;
    if (co >= coEnd) { return; }
    partial[base + co * kLen + k] = acc[c];
  }
}

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
  let inH = vec4i(i32(p.inH));
  let inW = vec4i(i32(p.inW));
  let zero = vec4i(0);

  // Per-lane (tap) offsets.
  let k = min(vec4u(k0) + vec4u(0u, 1u, 2u, 3u), vec4u(kLen - 1u));
  let ci = k / kArea;
  let kk = k % kArea;
  let dh = vec4i((kk / p.kW) * p.dilH) - i32(p.padH);
  let dw = vec4i((kk % p.kW) * p.dilW) - i32(p.padW);
  let xOff = vec4i((g * cinG + ci) * inPlane);
  let coc = min(vec4u(co0) + vec4u(0u, 1u, 2u, 3u), vec4u(coEnd - 1u)) * outPlane;

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var n = nStart; n < nEnd; n++) {
    let dyBase = n * p.outC * outPlane;
    let xBase = xOff + i32(n * p.inC * inPlane);
    for (var oh = 0u; oh < p.outH; oh++) {
      let ih = dh + i32(oh * p.strideH);
      let rowOk = (ih >= zero) & (ih < inH);
      let rowOff = xBase + ih * inW;
      for (var ow = 0u; ow < p.outW; ow++) {
        let o = dyBase + oh * p.outW + ow;
        let g4 = vec4f(dy[o + coc.x], dy[o + coc.y], dy[o + coc.z], dy[o + coc.w]);
        let iw = dw + i32(ow * p.strideW);
        let ok = rowOk & (iw >= zero) & (iw < inW);
        let idx = select(zero, rowOff + iw, ok);
        let xv = select(vec4f(0.0), vec4f(x[idx.x], x[idx.y], x[idx.z], x[idx.w]), ok);
        acc0 += g4 * xv.x;
        acc1 += g4 * xv.y;
        acc2 += g4 * xv.z;
        acc3 += g4 * xv.w;
      }
    }
  }

  let base = slice * p.outC * kLen;
  store(base, co0, coEnd, k0, kLen, acc0);
  store(base, co0, coEnd, k0 + 1u, kLen, acc1);
  store(base, co0, coEnd, k0 + 2u, kLen, acc2);
  store(base, co0, coEnd, k0 + 3u, kLen, acc3);
}
