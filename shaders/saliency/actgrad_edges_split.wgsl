// Edge saliency by actgrad, "split" family: the same sums as actgrad_edges.wgsl
// (partial[s, o, j] = sum over images n of slice s and output positions q of abs(a(n, q) * g[n, o, q])),
// but one workgroup per (4x4 tile of edges, slice of images): its WG invocations share the
// slice's (image, position) pairs, each summing its share for the tile's 16 edges, then the
// workgroup adds its invocations' sums. With SUBGROUPS each subgroup adds with subgroupAdd and
// one workgroup-memory step adds the subgroups (in invocation order: the sums do not depend on
// scheduling); without, a workgroup-memory tree. WG: a power of two, at least 16.
// Grid: x = input tiles, y = output tiles (per group), z = slices of the batch.
#if ${SUBGROUPS}
enable subgroups;
#endif

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

// Per invocation (tree) or per subgroup leader (subgroups, zero elsewhere): 4 rows of 4 edges.
var<workgroup> red: array<vec4f, 4u * WG>;

fn wv(rowBase: u32, cols: vec4u, k: u32) -> vec4f {
  return vec4f(w[rowBase + cols.x + k], w[rowBase + cols.y + k], w[rowBase + cols.z + k], w[rowBase + cols.w + k]);
}

/** This invocation's share of the slice: sums for rows o.x..o.w (one vec4 of inputs each). */
fn shareSums(lid: u32, j0: u32, o0: u32, grp: u32, cinG: u32, coEnd: u32, nStart: u32, nEnd: u32) -> mat4x4f {
  let kArea = p.kH * p.kW;
  let inPlane = p.inH * p.inW;
  let outPlane = p.outH * p.outW;
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
  var s = mat4x4f();
  let count = (nEnd - nStart) * outPlane;
  for (var t = lid; t < count; t += WG) {
    let n = nStart + t / outPlane;
    let q = t % outPlane;
    let oh = q / p.outW;
    let ow = q % p.outW;
    let xImg = xChan + i32(n * p.inC * inPlane);
    var a = mat4x4f();
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
          a[0] += m[0] * xv;
          a[1] += m[1] * xv;
          a[2] += m[2] * xv;
          a[3] += m[3] * xv;
#else
          a[0] += wv(rows.x, cols, k) * xv;
          a[1] += wv(rows.y, cols, k) * xv;
          a[2] += wv(rows.z, cols, k) * xv;
          a[3] += wv(rows.w, cols, k) * xv;
#endif
        }
        k++;
      }
    }
    let gq = n * p.outC * outPlane + q;
    s[0] += abs(a[0] * g[gq + o.x * outPlane]);
    s[1] += abs(a[1] * g[gq + o.y * outPlane]);
    s[2] += abs(a[2] * g[gq + o.z * outPlane]);
    s[3] += abs(a[3] * g[gq + o.w * outPlane]);
  }
  return s;
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_index) lid: u32,
#if ${SUBGROUPS}
  @builtin(subgroup_invocation_id) lane: u32,
#endif
) {
  let cinG = p.inC / p.groups;
  let coutG = p.outC / p.groups;
  let j0 = wid.x * 4u;
  let tilesPerGroup = (coutG + 3u) / 4u;
  let grp = wid.y / tilesPerGroup;
  let o0 = grp * coutG + (wid.y % tilesPerGroup) * 4u;
  let coEnd = (grp + 1u) * coutG;
  let nStart = wid.z * p.imagesPerSlice;
  let nEnd = min(nStart + p.imagesPerSlice, p.batch);
  let s = shareSums(lid, j0, o0, grp, cinG, coEnd, nStart, nEnd);

#if ${SUBGROUPS}
  let t = mat4x4f(subgroupAdd(s[0]), subgroupAdd(s[1]), subgroupAdd(s[2]), subgroupAdd(s[3]));
  let lead = lane == 0u;
  for (var r = 0u; r < 4u; r++) { red[lid * 4u + r] = select(vec4f(0.0), t[r], lead); }
  workgroupBarrier();
  var sum = 0.0;
  if (lid < 16u) {
    for (var i = 0u; i < WG; i++) { sum += red[i * 4u + lid / 4u][lid % 4u]; }
  }
#else
  for (var r = 0u; r < 4u; r++) { red[lid * 4u + r] = s[r]; }
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) {
      for (var r = 0u; r < 4u; r++) { red[lid * 4u + r] += red[(lid + half) * 4u + r]; }
    }
  }
  workgroupBarrier();
  var sum = 0.0;
  if (lid < 16u) { sum = red[lid / 4u][lid % 4u]; }
#endif
  let o = o0 + lid / 4u;
  let j = j0 + lid % 4u;
  if (lid < 16u && o < coEnd && j < cinG) {
    partial[wid.z * p.outC * cinG + o * cinG + j] = sum;
  }
}
