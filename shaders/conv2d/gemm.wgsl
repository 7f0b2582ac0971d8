// Conv family "gemm": C[g] = A[g] B[g] for each group g (grid y), row-major f32 with vec4 loads:
// A is M x 4*K4, B is 4*K4 x 4*N4, C is M x 4*N4 (rows of A and C may be further apart per group) (the layout passes pad the reduction and the
// columns to multiples of 4 with zeros). The register-blocked 8x8 tile of the matmul yardstick
// (shaders/matmul/forward.wgsl), so a conv runs at the adapter's dense-GEMM rate.
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
  tile8x8(gid.x + gid.z * nwg.x * WG, gid.y, p.N4, p.K4);
}

// 8 rows x 8 columns of C per invocation: 16 vec4 accumulators.
fn tile8x8(tile: u32, g: u32, N4: u32, K4: u32) {
  let aBase = g * p.aGroup;
  let bBase = g * p.bGroup;
  let cBase = g * p.cGroup;
  let tilesN = (N4 + 1u) / 2u;
  if (tile >= ((p.M + 7u) / 8u) * tilesN) { return; }
  let m0 = (tile / tilesN) * 8u;
  let n0 = (tile % tilesN) * 2u;
  // Rows and columns past the edge re-read the last valid one and are not stored.
  let r0 = min(m0, p.M - 1u) * K4;
  let r1 = min(m0 + 1u, p.M - 1u) * K4;
  let r2 = min(m0 + 2u, p.M - 1u) * K4;
  let r3 = min(m0 + 3u, p.M - 1u) * K4;
  let r4 = min(m0 + 4u, p.M - 1u) * K4;
  let r5 = min(m0 + 5u, p.M - 1u) * K4;
  let r6 = min(m0 + 6u, p.M - 1u) * K4;
  let r7 = min(m0 + 7u, p.M - 1u) * K4;
  let q0 = min(n0, N4 - 1u);
  let q1 = min(n0 + 1u, N4 - 1u);
  var c00 = vec4f(0.0); var c01 = vec4f(0.0);
  var c10 = vec4f(0.0); var c11 = vec4f(0.0);
  var c20 = vec4f(0.0); var c21 = vec4f(0.0);
  var c30 = vec4f(0.0); var c31 = vec4f(0.0);
  var c40 = vec4f(0.0); var c41 = vec4f(0.0);
  var c50 = vec4f(0.0); var c51 = vec4f(0.0);
  var c60 = vec4f(0.0); var c61 = vec4f(0.0);
  var c70 = vec4f(0.0); var c71 = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let a0 = a[aBase + r0 + k4]; let a1 = a[aBase + r1 + k4]; let a2 = a[aBase + r2 + k4]; let a3 = a[aBase + r3 + k4];
    let a4 = a[aBase + r4 + k4]; let a5 = a[aBase + r5 + k4]; let a6 = a[aBase + r6 + k4]; let a7 = a[aBase + r7 + k4];
    let row0 = bBase + k4 * 4u * N4;
    let row1 = row0 + N4;
    let row2 = row1 + N4;
    let row3 = row2 + N4;
    let b00 = b[row0 + q0]; let b10 = b[row1 + q0]; let b20 = b[row2 + q0]; let b30 = b[row3 + q0];
    let b01 = b[row0 + q1]; let b11 = b[row1 + q1]; let b21 = b[row2 + q1]; let b31 = b[row3 + q1];
    c00 += a0.x * b00 + a0.y * b10 + a0.z * b20 + a0.w * b30;
    c01 += a0.x * b01 + a0.y * b11 + a0.z * b21 + a0.w * b31;
    c10 += a1.x * b00 + a1.y * b10 + a1.z * b20 + a1.w * b30;
    c11 += a1.x * b01 + a1.y * b11 + a1.z * b21 + a1.w * b31;
    c20 += a2.x * b00 + a2.y * b10 + a2.z * b20 + a2.w * b30;
    c21 += a2.x * b01 + a2.y * b11 + a2.z * b21 + a2.w * b31;
    c30 += a3.x * b00 + a3.y * b10 + a3.z * b20 + a3.w * b30;
    c31 += a3.x * b01 + a3.y * b11 + a3.z * b21 + a3.w * b31;
    c40 += a4.x * b00 + a4.y * b10 + a4.z * b20 + a4.w * b30;
    c41 += a4.x * b01 + a4.y * b11 + a4.z * b21 + a4.w * b31;
    c50 += a5.x * b00 + a5.y * b10 + a5.z * b20 + a5.w * b30;
    c51 += a5.x * b01 + a5.y * b11 + a5.z * b21 + a5.w * b31;
    c60 += a6.x * b00 + a6.y * b10 + a6.z * b20 + a6.w * b30;
    c61 += a6.x * b01 + a6.y * b11 + a6.z * b21 + a6.w * b31;
    c70 += a7.x * b00 + a7.y * b10 + a7.z * b20 + a7.w * b30;
    c71 += a7.x * b01 + a7.y * b11 + a7.z * b21 + a7.w * b31;
  }
  if (m0 < p.M) { let o = cBase + m0 * N4 + n0; c[o] = c00; if (n0 + 1u < N4) { c[o + 1u] = c01; } }
  if (m0 + 1u < p.M) { let o = cBase + (m0 + 1u) * N4 + n0; c[o] = c10; if (n0 + 1u < N4) { c[o + 1u] = c11; } }
  if (m0 + 2u < p.M) { let o = cBase + (m0 + 2u) * N4 + n0; c[o] = c20; if (n0 + 1u < N4) { c[o + 1u] = c21; } }
  if (m0 + 3u < p.M) { let o = cBase + (m0 + 3u) * N4 + n0; c[o] = c30; if (n0 + 1u < N4) { c[o + 1u] = c31; } }
  if (m0 + 4u < p.M) { let o = cBase + (m0 + 4u) * N4 + n0; c[o] = c40; if (n0 + 1u < N4) { c[o + 1u] = c41; } }
  if (m0 + 5u < p.M) { let o = cBase + (m0 + 5u) * N4 + n0; c[o] = c50; if (n0 + 1u < N4) { c[o + 1u] = c51; } }
  if (m0 + 6u < p.M) { let o = cBase + (m0 + 6u) * N4 + n0; c[o] = c60; if (n0 + 1u < N4) { c[o + 1u] = c61; } }
  if (m0 + 7u < p.M) { let o = cBase + (m0 + 7u) * N4 + n0; c[o] = c70; if (n0 + 1u < N4) { c[o + 1u] = c71; } }
}
