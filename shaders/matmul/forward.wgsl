// Dense f32 matmul C[M, N] = A[M, K] * B[K, N], all row-major: the adapter's best-effort
// GEMM rate, the yardstick the benchmark (tools/bench) compares the engine's kernels against.

// Register-blocked with no shared memory: define TILE = 4 (4x4 outputs per invocation) or
// 8 (8x8); A and B are read as vec4 (K and N must be multiples of 4), M is free. The tiles
// are written out by hand: compilers without loop unrolling (SwiftShader) spill arrays.
// Grid: x = flattened (row tile, column tile) index, folded into z past the dimension limit.

struct Params {
  M: u32, N: u32, K: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;

override WG: u32 = 64;

const TILE: u32 = ${TILE}u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let tile = gid.x + gid.z * nwg.x * WG;
  if (TILE == 8u) {
    tile8x8(tile, 0u, 0u, 0u, p.M, p.N / 4u, p.K / 4u);
  } else {
    tile4x4(tile, p.N / 4u, p.K / 4u);
  }
}

// 4 rows x 4 columns of C per invocation: 4 vec4 accumulators.
fn tile4x4(tile: u32, N4: u32, K4: u32) {
  let tilesN = N4;
  if (tile >= ((p.M + 3u) / 4u) * tilesN) { return; }
  let m0 = (tile / tilesN) * 4u;
  let n0 = tile % tilesN;
  // Rows and columns past the edge re-read the last valid one and are not stored.
  let r0 = min(m0, p.M - 1u) * K4;
  let r1 = min(m0 + 1u, p.M - 1u) * K4;
  let r2 = min(m0 + 2u, p.M - 1u) * K4;
  let r3 = min(m0 + 3u, p.M - 1u) * K4;
  let q0 = min(n0, N4 - 1u);
  var c00 = vec4f(0.0);
  var c10 = vec4f(0.0);
  var c20 = vec4f(0.0);
  var c30 = vec4f(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let a0 = a[r0 + k4]; let a1 = a[r1 + k4]; let a2 = a[r2 + k4]; let a3 = a[r3 + k4];
    let row0 = k4 * 4u * N4;
    let row1 = row0 + N4;
    let row2 = row1 + N4;
    let row3 = row2 + N4;
    let b00 = b[row0 + q0]; let b10 = b[row1 + q0]; let b20 = b[row2 + q0]; let b30 = b[row3 + q0];
    c00 += a0.x * b00 + a0.y * b10 + a0.z * b20 + a0.w * b30;
    c10 += a1.x * b00 + a1.y * b10 + a1.z * b20 + a1.w * b30;
    c20 += a2.x * b00 + a2.y * b10 + a2.z * b20 + a2.w * b30;
    c30 += a3.x * b00 + a3.y * b10 + a3.z * b20 + a3.w * b30;
  }
  if (m0 < p.M) { let o = m0 * N4 + n0; c[o] = c00; }
  if (m0 + 1u < p.M) { let o = (m0 + 1u) * N4 + n0; c[o] = c10; }
  if (m0 + 2u < p.M) { let o = (m0 + 2u) * N4 + n0; c[o] = c20; }
  if (m0 + 3u < p.M) { let o = (m0 + 3u) * N4 + n0; c[o] = c30; }
}

//! include common/gemm_tile8x8
