// Conv family "gemm": one chunk of the output gradient dY as a matrix per group, [group][output
// channel of the group, zero-padded to `rows`][position p0 + n, zero-padded to `ncp`], the
// operand both backward passes multiply (NCHW keeps images apart; the GEMM wants positions in a row).

//! include conv2d/gemm_params
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> packed: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.groups * p.ncp) { return; }
  let g = i / p.ncp;
  let n = i % p.ncp;
  let coutG = p.outC / p.groups;
  let outPlane = p.outH * p.outW;
  let pos = p.p0 + min(n, p.len - 1u);
  let first = ((pos / outPlane) * p.outC + g * coutG) * outPlane + pos % outPlane;
  let valid = n < p.len;
  var o = g * p.rows * p.ncp + n;
  for (var m = 0u; m < p.rows; m++) {
    var v = 0.0;
    if (valid && m < coutG) { v = dy[first + m * outPlane]; }
    packed[o] = v;
    o += p.ncp;
  }
}
