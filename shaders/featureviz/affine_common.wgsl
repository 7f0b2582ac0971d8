// Shared by affine_forward and affine_adjoint: the source point of output pixel (col, row)
// of image n, computed the same way in both so the adjoint is exact.

fn samplePoint(n: u32, col: u32, row: u32) -> vec2f {
  let a = n * 12u;
  let u = f32(col);
  let v = f32(row);
  return vec2f(xf[a] * u + xf[a + 1u] * v + xf[a + 2u], xf[a + 3u] * u + xf[a + 4u] * v + xf[a + 5u]);
}
