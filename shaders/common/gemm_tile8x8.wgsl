// An 8x8 register tile of C = A B (row-major, vec4 loads, A: M x 4*K4, B: 4*K4 x 4*N4): the dense
// GEMM of the matmul yardstick (matmul/forward) and of the conv family "gemm" (conv2d/gemm), which
// include it with storage arrays a, b (read) and c (read_write) of vec4f. The bases are vec4
// offsets of this tile's A, B and C (a group's matrices in conv2d/gemm).

// 8 rows x 8 columns of C per invocation: 16 vec4 accumulators.
fn tile8x8(tile: u32, aBase: u32, bBase: u32, cBase: u32, M: u32, N4: u32, K4: u32) {
  let tilesN = (N4 + 1u) / 2u;
  if (tile >= ((M + 7u) / 8u) * tilesN) { return; }
  let m0 = (tile / tilesN) * 8u;
  let n0 = (tile % tilesN) * 2u;
  // Rows and columns past the edge re-read the last valid one and are not stored.
  let r0 = min(m0, M - 1u) * K4;
  let r1 = min(m0 + 1u, M - 1u) * K4;
  let r2 = min(m0 + 2u, M - 1u) * K4;
  let r3 = min(m0 + 3u, M - 1u) * K4;
  let r4 = min(m0 + 4u, M - 1u) * K4;
  let r5 = min(m0 + 5u, M - 1u) * K4;
  let r6 = min(m0 + 6u, M - 1u) * K4;
  let r7 = min(m0 + 7u, M - 1u) * K4;
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
  if (m0 < M) { let o = cBase + m0 * N4 + n0; c[o] = c00; if (n0 + 1u < N4) { c[o + 1u] = c01; } }
  if (m0 + 1u < M) { let o = cBase + (m0 + 1u) * N4 + n0; c[o] = c10; if (n0 + 1u < N4) { c[o + 1u] = c11; } }
  if (m0 + 2u < M) { let o = cBase + (m0 + 2u) * N4 + n0; c[o] = c20; if (n0 + 1u < N4) { c[o + 1u] = c21; } }
  if (m0 + 3u < M) { let o = cBase + (m0 + 3u) * N4 + n0; c[o] = c30; if (n0 + 1u < N4) { c[o + 1u] = c31; } }
  if (m0 + 4u < M) { let o = cBase + (m0 + 4u) * N4 + n0; c[o] = c40; if (n0 + 1u < N4) { c[o + 1u] = c41; } }
  if (m0 + 5u < M) { let o = cBase + (m0 + 5u) * N4 + n0; c[o] = c50; if (n0 + 1u < N4) { c[o + 1u] = c51; } }
  if (m0 + 6u < M) { let o = cBase + (m0 + 6u) * N4 + n0; c[o] = c60; if (n0 + 1u < N4) { c[o + 1u] = c61; } }
  if (m0 + 7u < M) { let o = cBase + (m0 + 7u) * N4 + n0; c[o] = c70; if (n0 + 1u < N4) { c[o + 1u] = c71; } }
}
