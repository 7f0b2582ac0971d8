// IEEE binary16 rounding on the CPU, the reference of shaders/conv2d/pack_f16.wgsl: an f32 value
// to its f16 bits (round to nearest, ties to even; overflow to infinity, subnormals kept, NaN
// stays NaN) and back. The engine's 'fast' precision stores conv weights this way.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The f16 bit pattern nearest to `x` (first rounded to f32, as the GPU sees it). */
export function f16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const a = b & 0x7fffffff;
  if (a >= 0x7f800000) return sign | (a > 0x7f800000 ? 0x7e00 : 0x7c00);
  if (a >= 0x477ff000) return sign | 0x7c00; // 65520 and up round to infinity
  if (a >= 0x38800000) {
    // normal: rebias the exponent (127 -> 15), round away 13 mantissa bits
    const r = a - 0x38000000;
    return sign | ((r + 0xfff + ((r >>> 13) & 1)) >>> 13);
  }
  const e = a >>> 23;
  if (e < 102) return sign; // below half the smallest subnormal (2^-25)
  const m = (a & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let q = m >>> shift;
  const rem = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rem > half || (rem === half && (q & 1) === 1)) q++;
  return sign | q;
}

/** The value of f16 bits `h`. */
export function fromF16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** `x` rounded to the nearest f16 value (f32 -> f16 -> f32). */
export function roundToF16(x: number): number {
  return fromF16Bits(f16Bits(x));
}

/** Every value of `a` rounded to f16. */
export function roundArrayToF16(a: Float32Array): Float32Array<ArrayBuffer> {
  return Float32Array.from(a, roundToF16);
}
