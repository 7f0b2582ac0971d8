// Uniforms of the conv family "gemm"'s layout passes (im2col, dY packing, output store, col2im):
// the conv geometry (as every conv shader has it), then one chunk of the flattened (image, output
// position) index: its first position, how many it holds, and the padded matrix it is laid out in.
struct Params {
  batch: u32, inC: u32, inH: u32, inW: u32,
  outC: u32, outH: u32, outW: u32, groups: u32,
  kH: u32, kW: u32, strideH: u32, strideW: u32,
  padH: u32, padW: u32, dilH: u32, dilW: u32,
  // First position of the chunk, positions in it, rows and columns of the padded matrix.
  p0: u32, len: u32, rows: u32, ncp: u32,
  // Pass-specific: bias present (store), add to the existing gradient (col2im).
  flag: u32,
}
