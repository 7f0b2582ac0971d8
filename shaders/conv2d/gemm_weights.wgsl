// Conv family "gemm": the kernels as the GEMM's left operand, per group, zero-padded to a multiple
// of 4 along the reduction. Forward: [group][output channel][row k, padded to `padded`];
// TRANSPOSED (backward to input through col2im): [group][row k][output channel, padded];
// FLIPPED (backward to input as a forward conv of dY, stride 1): [input channel][(output channel
// of the group, kernel row, kernel column) rotated 180 degrees, padded]. Reads f32 or f16-packed
// weights (conv2d/weights), so precision 'fast' rounds them as the other families do.

struct Params {
  groups: u32, coutG: u32, rowsG: u32, padded: u32,
  cinG: u32, kH: u32, kW: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
//! include conv2d/weights

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
#if ${TRANSPOSED}
  let perGroup = p.rowsG * p.padded;
  if (i >= p.groups * perGroup) { return; }
  let g = i / perGroup;
  let k = (i % perGroup) / p.padded;
  let m = i % p.padded;
  var v = 0.0;
  if (m < p.coutG) { v = weightAt((g * p.coutG + m) * p.rowsG + k); }
#elif ${FLIPPED}
  let taps = p.kH * p.kW;
  if (i >= p.groups * p.cinG * p.padded) { return; }
  let c = i / p.padded;
  let j = i % p.padded;
  var v = 0.0;
  if (j < p.coutG * taps) {
    let g = c / p.cinG;
    let t = taps - 1u - j % taps;
    v = weightAt((g * p.coutG + j / taps) * p.rowsG + (c % p.cinG) * taps + t);
  }
#else
  if (i >= p.groups * p.coutG * p.padded) { return; }
  let co = i / p.padded;
  let k = i % p.padded;
  var v = 0.0;
  if (k < p.rowsG) { v = weightAt(co * p.rowsG + k); }
#endif
  out[i] = v;
}
