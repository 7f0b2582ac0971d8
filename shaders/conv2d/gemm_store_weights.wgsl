// Conv family "gemm", backward to kernels: writes (flag 0) or adds (flag 1: a later chunk of
// positions) the product C [output channel][row k, padded to `padded`] into the kernel gradient
// [output channel][row k] (row k = input channel of the group, kernel row, kernel column).

struct Params {
  outC: u32, rowsG: u32, padded: u32, flag: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;

override WG: u32 = 64;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  if (i >= p.outC * p.rowsG) { return; }
  let v = c[(i / p.rowsG) * p.padded + i % p.rowsG];
  dw[i] = select(v, dw[i] + v, p.flag != 0u);
}
