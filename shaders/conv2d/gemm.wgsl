// Conv family "gemm": C[g] = A[g] B[g] for each group g (grid y), row-major f32 with vec4 loads:
// A is M x 4*K4, B is 4*K4 x 4*N4, C is M x 4*N4 (rows of A and C may be further apart per group) (the layout passes pad the reduction and the
// columns to multiples of 4 with zeros). The register-blocked 8x8 tile of the matmul yardstick
// (common/gemm_tile8x8, shared with shaders/matmul/forward.wgsl), so a conv runs at the adapter's
// dense-GEMM rate.
// Grid: x = flattened (row tile, column tile) index, folded into z past the dimension limit.

struct Params {
  M: u32, N4: u32, K4: u32,
  // Distance between consecutive groups' A, B and C, in vec4s.
  aGroup: u32, bGroup: u32, cGroup: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;

override WG: u32 = 16;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = gid.y;
  tile8x8(gid.x + gid.z * nwg.x * WG, g * p.aGroup, g * p.bGroup, g * p.cGroup, p.M, p.N4, p.K4);
}

//! include common/gemm_tile8x8
