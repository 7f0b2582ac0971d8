// Packs f32 weights into f16 pairs (two halves per u32, element 2i in the low half) for the
// conv kernels' F16_WEIGHTS variant (conv2d/weights.wgsl). Rounds to nearest, ties to even, in
// integer arithmetic (pack2x16float leaves the rounding direction to the implementation):
// beyond +-65504 gives infinity, below 2^-14 an f16 subnormal, NaN stays NaN.

struct Params { count: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

override WG: u32 = 64;

fn toHalfBits(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  let sign = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a >= 0x7f800000u) { return sign | select(0x7c00u, 0x7e00u, a > 0x7f800000u); }
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }
  if (a >= 0x38800000u) {
    let r = a - 0x38000000u;
    return sign | ((r + 0xfffu + ((r >> 13u) & 1u)) >> 13u);
  }
  let e = a >> 23u;
  if (e < 102u) { return sign; }
  let m = (a & 0x7fffffu) | 0x800000u;
  let shift = 126u - e;
  var q = m >> shift;
  let rem = m & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (q & 1u) == 1u)) { q += 1u; }
  return sign | q;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.z * nwg.x * WG;
  let words = (p.count + 1u) / 2u;
  if (i >= words) { return; }
  let lo = toHalfBits(src[2u * i]);
  var hi = 0u;
  if (2u * i + 1u < p.count) { hi = toHalfBits(src[2u * i + 1u]); }
  dst[i] = lo | (hi << 16u);
}
