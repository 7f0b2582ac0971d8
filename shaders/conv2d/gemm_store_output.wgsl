// Conv family "gemm", forward: writes one chunk's product C [output channel][position, padded to
// `ncp`] into the NCHW output, adding the bias when there is one (flag bit 0) and what the output
// holds (bit 1: backward to input onto an accumulated gradient).

//! include conv2d/gemm_params
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = gid.x + gid.z * nwg.x * WG;
  if (n >= p.len) { return; }
  let outPlane = p.outH * p.outW;
  let pos = p.p0 + n;
  let to = (pos / outPlane) * p.outC * outPlane + pos % outPlane;
  for (var co = 0u; co < p.outC; co++) {
    var v = c[co * p.ncp + n];
    if ((p.flag & 1u) != 0u) { v += bias[co]; }
    if ((p.flag & 2u) != 0u) { v += y[to + co * outPlane]; }
    y[to + co * outPlane] = v;
  }
}
