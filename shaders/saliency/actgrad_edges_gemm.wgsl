// Actgrad edge reduction, family "gemm": the same sums as saliency/actgrad_edges (sum over images
// and positions of |edge map x gradient|), read from one chunk of the layer input's patch matrix
// (conv2d/gemm_im2col, [group][row (input channel, tap)][column], vec4 over columns) and of the
// output gradient (conv2d/gemm_pack_grad, [group][output channel][column]). An invocation takes
// one input channel and 8 output channels of a group and a slice of the chunk's columns: the 8x9
// kernel taps sit in registers, and each step rebuilds 8 edge maps at 4 positions from 9 patch
// rows (kernels of at most 9 taps; unused taps have weight 0). Written out by hand, since
// compilers that do not unroll loops (SwiftShader) pay per iteration. Padded columns are zero in
// both operands and add nothing.
// Grid: x = (group, input channel, 8 output channels) tiles, folded into z; y = slices of columns.

struct Params {
  groups: u32, cinG: u32, coutG: u32, taps: u32,
  // Rows of a group's patch matrix and gradient block; vec4 columns of the chunk and per slice.
  kp: u32, cop: u32, quads: u32, quadsPerSlice: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> col: array<vec4f>;
@group(0) @binding(2) var<storage, read> gr: array<vec4f>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

override WG: u32 = 64;

/** Tap t of the kernels of output channels o (4 of them) from input channel ci, 0 past the kernel. */
fn taps4(o: vec4u, ci: u32, t: u32) -> vec4f {
  let tt = min(t, p.taps - 1u);
  let base = (o * p.cinG + ci) * p.taps + tt;
  return select(vec4f(0.0), vec4f(w[base.x], w[base.y], w[base.z], w[base.w]), t < p.taps);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tile = gid.x + gid.z * nwg.x * WG;
  let tilesO = (p.coutG + 7u) / 8u;
  if (tile >= p.groups * p.cinG * tilesO) { return; }
  let g = tile / (p.cinG * tilesO);
  let ci = (tile / tilesO) % p.cinG;
  let o0 = (tile % tilesO) * 8u;
  let last = p.coutG - 1u;
  // Output channels (global) of the two halves, clamped into the group; the clamped ones are not stored.
  let oa = g * p.coutG + min(vec4u(o0) + vec4u(0u, 1u, 2u, 3u), vec4u(last));
  let ob = g * p.coutG + min(vec4u(o0 + 4u) + vec4u(0u, 1u, 2u, 3u), vec4u(last));

  let wa0 = taps4(oa, ci, 0u);
  let wa1 = taps4(oa, ci, 1u);
  let wa2 = taps4(oa, ci, 2u);
  let wa3 = taps4(oa, ci, 3u);
  let wa4 = taps4(oa, ci, 4u);
  let wa5 = taps4(oa, ci, 5u);
  let wa6 = taps4(oa, ci, 6u);
  let wa7 = taps4(oa, ci, 7u);
  let wa8 = taps4(oa, ci, 8u);
  let wb0 = taps4(ob, ci, 0u);
  let wb1 = taps4(ob, ci, 1u);
  let wb2 = taps4(ob, ci, 2u);
  let wb3 = taps4(ob, ci, 3u);
  let wb4 = taps4(ob, ci, 4u);
  let wb5 = taps4(ob, ci, 5u);
  let wb6 = taps4(ob, ci, 6u);
  let wb7 = taps4(ob, ci, 7u);
  let wb8 = taps4(ob, ci, 8u);
  // Patch rows of input channel ci (tap t at row ci * taps + t; past the kernel: its last row, times 0).
  let rowBase = (g * p.kp + ci * p.taps) * p.quads;
  let r0 = rowBase + min(0u, p.taps - 1u) * p.quads;
  let r1 = rowBase + min(1u, p.taps - 1u) * p.quads;
  let r2 = rowBase + min(2u, p.taps - 1u) * p.quads;
  let r3 = rowBase + min(3u, p.taps - 1u) * p.quads;
  let r4 = rowBase + min(4u, p.taps - 1u) * p.quads;
  let r5 = rowBase + min(5u, p.taps - 1u) * p.quads;
  let r6 = rowBase + min(6u, p.taps - 1u) * p.quads;
  let r7 = rowBase + min(7u, p.taps - 1u) * p.quads;
  let r8 = rowBase + min(8u, p.taps - 1u) * p.quads;
  // Gradient rows of the 8 output channels (local to the group, clamped like oa and ob).
  let g0 = (g * p.cop + oa.x - g * p.coutG) * p.quads;
  let g1 = (g * p.cop + oa.y - g * p.coutG) * p.quads;
  let g2 = (g * p.cop + oa.z - g * p.coutG) * p.quads;
  let g3 = (g * p.cop + oa.w - g * p.coutG) * p.quads;
  let g4 = (g * p.cop + ob.x - g * p.coutG) * p.quads;
  let g5 = (g * p.cop + ob.y - g * p.coutG) * p.quads;
  let g6 = (g * p.cop + ob.z - g * p.coutG) * p.quads;
  let g7 = (g * p.cop + ob.w - g * p.coutG) * p.quads;
  var s0 = vec4f(0.0);
  var s1 = vec4f(0.0);
  var s2 = vec4f(0.0);
  var s3 = vec4f(0.0);
  var s4 = vec4f(0.0);
  var s5 = vec4f(0.0);
  var s6 = vec4f(0.0);
  var s7 = vec4f(0.0);
  let q0 = gid.y * p.quadsPerSlice;
  let q1 = min(q0 + p.quadsPerSlice, p.quads);
  for (var q = q0; q < q1; q++) {
    let c0 = col[r0 + q]; let c1 = col[r1 + q]; let c2 = col[r2 + q]; let c3 = col[r3 + q]; let c4 = col[r4 + q];
    let c5 = col[r5 + q]; let c6 = col[r6 + q]; let c7 = col[r7 + q]; let c8 = col[r8 + q];
    s0 += abs((wa0.x * c0 + wa1.x * c1 + wa2.x * c2 + wa3.x * c3 + wa4.x * c4 + wa5.x * c5 + wa6.x * c6 + wa7.x * c7 + wa8.x * c8) * gr[g0 + q]);
    s1 += abs((wa0.y * c0 + wa1.y * c1 + wa2.y * c2 + wa3.y * c3 + wa4.y * c4 + wa5.y * c5 + wa6.y * c6 + wa7.y * c7 + wa8.y * c8) * gr[g1 + q]);
    s2 += abs((wa0.z * c0 + wa1.z * c1 + wa2.z * c2 + wa3.z * c3 + wa4.z * c4 + wa5.z * c5 + wa6.z * c6 + wa7.z * c7 + wa8.z * c8) * gr[g2 + q]);
    s3 += abs((wa0.w * c0 + wa1.w * c1 + wa2.w * c2 + wa3.w * c3 + wa4.w * c4 + wa5.w * c5 + wa6.w * c6 + wa7.w * c7 + wa8.w * c8) * gr[g3 + q]);
    s4 += abs((wb0.x * c0 + wb1.x * c1 + wb2.x * c2 + wb3.x * c3 + wb4.x * c4 + wb5.x * c5 + wb6.x * c6 + wb7.x * c7 + wb8.x * c8) * gr[g4 + q]);
    s5 += abs((wb0.y * c0 + wb1.y * c1 + wb2.y * c2 + wb3.y * c3 + wb4.y * c4 + wb5.y * c5 + wb6.y * c6 + wb7.y * c7 + wb8.y * c8) * gr[g5 + q]);
    s6 += abs((wb0.z * c0 + wb1.z * c1 + wb2.z * c2 + wb3.z * c3 + wb4.z * c4 + wb5.z * c5 + wb6.z * c6 + wb7.z * c7 + wb8.z * c8) * gr[g6 + q]);
    s7 += abs((wb0.w * c0 + wb1.w * c1 + wb2.w * c2 + wb3.w * c3 + wb4.w * c4 + wb5.w * c5 + wb6.w * c6 + wb7.w * c7 + wb8.w * c8) * gr[g7 + q]);
  }
  // partial[slice][o][input channel of the group], summed over slices by common/sum_slices.
  let base = gid.y * p.groups * p.coutG * p.cinG + ci;
  let sums = array<f32, 8>(
    s0.x + s0.y + s0.z + s0.w, s1.x + s1.y + s1.z + s1.w, s2.x + s2.y + s2.z + s2.w, s3.x + s3.y + s3.z + s3.w,
    s4.x + s4.y + s4.z + s4.w, s5.x + s5.y + s5.z + s5.w, s6.x + s6.y + s6.z + s6.w, s7.x + s7.y + s7.z + s7.w,
  );
  for (var r = 0u; r < 8u; r++) {
    if (o0 + r < p.coutG) { partial[base + (g * p.coutG + o0 + r) * p.cinG] = sums[r]; }
  }
}
