// The conv weights that forward and backward-to-input read (binding 2), through weightAt(i):
// plain f32, or with F16_WEIGHTS two f16 halves per u32 (element i in the low half of word i/2
// when i is even, the high half when odd), widened by unpack2x16float; sums stay f32.
#if ${F16_WEIGHTS}
@group(0) @binding(2) var<storage, read> w: array<u32>;
fn weightAt(i: u32) -> f32 {
  let pair = unpack2x16float(w[i >> 1u]);
  return select(pair.x, pair.y, (i & 1u) != 0u);
}
#else
@group(0) @binding(2) var<storage, read> w: array<f32>;
fn weightAt(i: u32) -> f32 {
  return w[i];
}
#endif
