// Conv family "gemm": one chunk of the input's patch matrix (im2col), per group, zero-padded to a
// multiple of 4 both ways so the GEMM reads whole vec4s. Row k = (input channel, kernel row,
// kernel column) of the group, column n = position p0 + n of the flattened (image, output row,
// output column) index. TRANSPOSED lays it out [group][column][row] (backward to kernels).
// One invocation per (group, 4 columns): the 4 positions are vec4 lanes (decoded once, masked
// loads), and the rows follow without a division; software adapters pay per loop iteration, so
// each iteration fills 4 entries.

//! include conv2d/gemm_params
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
#if ${TRANSPOSED}
@group(0) @binding(2) var<storage, read_write> col: array<f32>;
#else
@group(0) @binding(2) var<storage, read_write> col: array<vec4f>;
#endif

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  let quads = p.ncp / 4u;
  if (i >= p.groups * quads) { return; }
  let g = i / quads;
  let n0 = (i % quads) * 4u;
#if ${TRANSPOSED}
  // Entry (column n0 + j, row k) at o + j * rows + k.
  var o = (g * p.ncp + n0) * p.rows;
#else
  // Entries (row k, columns n0..n0+3) at vec4 o + k * quads.
  var o = (g * p.rows * p.ncp + n0) / 4u;
#endif
  let cinG = p.inC / p.groups;
  let outPlane = p.outH * p.outW;
  let lane = vec4u(0u, 1u, 2u, 3u);
  let valid = (vec4u(n0) + lane) < vec4u(p.len);
  let pos = vec4u(p.p0 + n0) + min(lane, vec4u(max(p.len, n0 + 1u) - n0 - 1u));
  let r = pos % outPlane;
  let ih0 = vec4i((r / p.outW) * p.strideH) - i32(p.padH);
  let iw0 = vec4i((r % p.outW) * p.strideW) - i32(p.padW);
  let inPlane = p.inH * p.inW;
  let xBase = vec4i(((pos / outPlane) * p.inC + g * cinG) * inPlane);
  let inH = vec4i(i32(p.inH));
  let inW = vec4i(i32(p.inW));
  let zero = vec4i(0);
  var k = 0u;
  for (var ci = 0u; ci < cinG; ci++) {
    let xc = xBase + i32(ci * inPlane);
    for (var kh = 0u; kh < p.kH; kh++) {
      let ih = ih0 + i32(kh * p.dilH);
      let rowOk = valid & (ih >= zero) & (ih < inH);
      let rowOff = xc + ih * inW;
      for (var kw = 0u; kw < p.kW; kw++) {
        let iw = iw0 + i32(kw * p.dilW);
        let ok = rowOk & (iw >= zero) & (iw < inW);
        let idx = select(zero, rowOff + iw, ok);
        let v = select(vec4f(0.0), vec4f(x[idx.x], x[idx.y], x[idx.z], x[idx.w]), ok);
        write(o, k, v);
        k++;
      }
    }
  }
  for (; k < p.rows; k++) { write(o, k, vec4f(0.0)); }
}

fn write(o: u32, k: u32, v: vec4f) {
#if ${TRANSPOSED}
  col[o + k] = v.x;
  col[o + p.rows + k] = v.y;
  col[o + 2u * p.rows + k] = v.z;
  col[o + 3u * p.rows + k] = v.w;
#else
  col[o + k * (p.ncp / 4u)] = v;
#endif
}
