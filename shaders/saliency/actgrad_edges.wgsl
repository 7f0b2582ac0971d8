// Edge (kernel) saliency by actgrad with the absolute value inside, for a slice of images:
// partial[s, o, j] = sum over images n of slice s and output positions q of
// abs(a(n, q) * g[n, o, q]), where a(n, q) = sum over taps k of W[o, j, k] x[n, i, q + k]
// is the edge's pre-sum map (i = input channel j of o's group) and g the gradient at the
// layer's output. The edge maps are never stored: each invocation rebuilds them for a
// 4x4 tile of edges (4 output channels x 4 input channels, vec4 lanes over inputs).
// Grid: x = input tiles, y = output tiles (per group), z = slices of the batch.
// With REG_WEIGHTS (kernels of at most 9 taps) the tile's 4x4x9 weights are loaded into
// registers once instead of at every position of every image; the sums are the same.

struct Params {
  batch: u32, inC: u32, inH: u32, inW: u32,
  outC: u32, outH: u32, outW: u32, groups: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32,
  padH: u32, padW: u32, dilH: u32, dilW: u32,
  imagesPerSlice: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

override WG: u32 = 64;

fn wv(rowBase: u32, cols: vec4u, k: u32) -> vec4f {
  return vec4f(w[rowBase + cols.x + k], w[rowBase + cols.y + k], w[rowBase + cols.z + k], w[rowBase + cols.w + k]);
}

fn store(base: u32, o: u32, coEnd: u32, j0: u32, cinG: u32, s: vec4f) {
  if (o >= coEnd) { return; }
  for (var c = 0u; c < 4u; c++) {
    if (j0 + c >= cinG) { return; }
    partial[base + o * cinG + j0 + c] = s[c];
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let j0 = gid.x * 4u;
  if (j0 >= cinG) { return; }
  let tilesPerGroup = (coutG + 3u) / 4u;
  let grp = gid.y / tilesPerGroup;
  if (grp >= p.groups) { return; }
  let o0 = grp * coutG + (gid.y % tilesPerGroup) * 4u;
  let coEnd = (grp + 1u) * coutG;
  let nStart = gid.z * p.imagesPerSlice;
  let nEnd = min(nStart + p.imagesPerSlice, p.batch);

  let kArea = p.kH * p.kW;
  let inPlane = p.inH * p.inW;
  let outPlane = p.outH * p.outW;
  let inH = vec4i(i32(p.inH));
  let inW = vec4i(i32(p.inW));
  let zero = vec4i(0);
  let j = min(vec4u(j0) + vec4u(0u, 1u, 2u, 3u), vec4u(cinG - 1u));
  let cols = j * kArea;
  let xChan = vec4i((grp * cinG + j) * inPlane);
  let o = min(vec4u(o0) + vec4u(0u, 1u, 2u, 3u), vec4u(coEnd - 1u));
  let rows = o * cinG * kArea;

#if ${REG_WEIGHTS}
  var wr: array<mat4x4f, 9>;
  for (var t = 0u; t < kArea; t++) {
    wr[t] = mat4x4f(wv(rows.x, cols, t), wv(rows.y, cols, t), wv(rows.z, cols, t), wv(rows.w, cols, t));
  }
#endif
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  for (var n = nStart; n < nEnd; n++) {
    let xImg = xChan + i32(n * p.inC * inPlane);
    let gImg = n * p.outC * outPlane;
    for (var oh = 0u; oh < p.outH; oh++) {
      for (var ow = 0u; ow < p.outW; ow++) {
        var a0 = vec4f(0.0);
        var a1 = vec4f(0.0);
        var a2 = vec4f(0.0);
        var a3 = vec4f(0.0);
        var k = 0u;
        for (var kh = 0u; kh < p.kH; kh++) {
          let ih = i32(oh * p.strideH + kh * p.dilH) - i32(p.padH);
          let rowOk = (ih >= 0) && (ih < i32(p.inH));
          for (var kw = 0u; kw < p.kW; kw++) {
            let iw = i32(ow * p.strideW + kw * p.dilW) - i32(p.padW);
            if (rowOk && iw >= 0 && iw < i32(p.inW)) {
              let idx = xImg + ih * i32(p.inW) + iw;
              let xv = vec4f(x[idx.x], x[idx.y], x[idx.z], x[idx.w]);
#if ${REG_WEIGHTS}
              let m = wr[k];
              a0 += m[0] * xv;
              a1 += m[1] * xv;
              a2 += m[2] * xv;
              a3 += m[3] * xv;
#else
              a0 += wv(rows.x, cols, k) * xv;
              a1 += wv(rows.y, cols, k) * xv;
              a2 += wv(rows.z, cols, k) * xv;
              a3 += wv(rows.w, cols, k) * xv;
#endif
            }
            k++;
          }
        }
        let q = gImg + oh * p.outW + ow;
        s0 += abs(a0 * g[q + o.x * outPlane]);
        s1 += abs(a1 * g[q + o.y * outPlane]);
        s2 += abs(a2 * g[q + o.z * outPlane]);
        s3 += abs(a3 * g[q + o.w * outPlane]);
      }
    }
  }
  let base = gid.z * p.outC * cinG;
  store(base, o0, coEnd, j0, cinG, s0);
  store(base, o0 + 1u, coEnd, j0, cinG, s1);
  store(base, o0 + 2u, coEnd, j0, cinG, s2);
  store(base, o0 + 3u, coEnd, j0, cinG, s3);
}
