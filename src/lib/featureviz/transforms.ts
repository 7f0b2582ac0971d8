// Transformation robustness: the random pad / jitter / scale / rotate of each step composed
// into one affine map per image (affine_forward.wgsl samples through it, affine_adjoint.wgsl
// is its exact transpose). Random draws come from the seeded generator, in a fixed order.

export interface TransformMagnitudes {
  /** Constant 0.5 border that jitter, scaling and rotation bring into view. */
  pad: number;
  fill: number;
  /** First and second jitter: integer shifts in -j..j pixels. */
  jitter1: number;
  jitter2: number;
  /** Scales drawn from (Lucid's list) 0.9, 0.92, ..., 1.1. */
  scales: number[];
  /** Rotations drawn from the integers -10..10, in degrees. */
  angles: number[];
}

/**
 * Lucid's pad 12, jitter 8, jitter 4 were chosen for 224 x 224 images; they are scaled by
 * size / 224 and rounded, with at least 1 pixel each, so a 28 x 28 image gets pad 2 (1.5
 * rounded), jitter 1 and jitter 1 (the second would round to 0). Scale and rotation are
 * relative and stay as they are (0.9..1.1, -10..10 degrees); 224 x 224 gets Lucid's values.
 */
export function transformMagnitudes(height: number, width: number): TransformMagnitudes {
  const s = Math.max(height, width) / 224;
  return {
    pad: Math.max(1, Math.round(12 * s)),
    fill: 0.5,
    jitter1: Math.max(1, Math.round(8 * s)),
    jitter2: Math.max(1, Math.round(4 * s)),
    scales: Array.from({ length: 11 }, (_, i) => 1 + (i - 5) / 50),
    angles: Array.from({ length: 21 }, (_, i) => i - 10),
  };
}

/** [a00 a01 b0 a10 a11 b1] (source from output pixel) then the same for the inverse. */
export type Affine = Float64Array;

export const IDENTITY: readonly number[] = [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0];

/**
 * The affine map for one draw: output pixel u samples the image at x = c + R(-angle) (u - c) /
 * scale - t, c the image centre, t the summed jitters (the content moves by t). The pad's
 * only effect at a fixed output size is the fill value around the image, and the jitters
 * are bounded by it (|t| <= pad).
 */
export function affineFor(height: number, width: number, scale: number, degrees: number, tx: number, ty: number): Affine {
  const th = (degrees * Math.PI) / 180;
  const cos = Math.cos(th), sin = Math.sin(th);
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  // A = R(-th) / s
  const a00 = cos / scale, a01 = sin / scale, a10 = -sin / scale, a11 = cos / scale;
  const b0 = cx - (a00 * cx + a01 * cy) - tx;
  const b1 = cy - (a10 * cx + a11 * cy) - ty;
  // Inverse: u = s R(th) (x - b)
  const i00 = cos * scale, i01 = -sin * scale, i10 = sin * scale, i11 = cos * scale;
  return Float64Array.from([a00, a01, b0, a10, a11, b1, i00, i01, -(i00 * b0 + i01 * b1), i10, i11, -(i10 * b0 + i11 * b1)]);
}

/** One random draw per image (in image order: jitter1 x, y, scale, angle, jitter2 x, y). */
export function drawTransforms(rand: () => number, batch: number, height: number, width: number, m = transformMagnitudes(height, width)): Float32Array<ArrayBuffer> {
  const out = new Float32Array(batch * 12);
  const int = (j: number) => Math.min(j, Math.floor(rand() * (2 * j + 1)) - j);
  const pick = <T>(xs: T[]) => xs[Math.min(xs.length - 1, Math.floor(rand() * xs.length))];
  for (let n = 0; n < batch; n++) {
    const jx = int(m.jitter1), jy = int(m.jitter1);
    const s = pick(m.scales), a = pick(m.angles);
    const kx = int(m.jitter2), ky = int(m.jitter2);
    const tx = Math.max(-m.pad, Math.min(m.pad, jx + kx));
    const ty = Math.max(-m.pad, Math.min(m.pad, jy + ky));
    out.set(affineFor(height, width, s, a, tx, ty), n * 12);
  }
  return out;
}

/** Half-width of the window of outputs whose samples can touch a source pixel. */
export function adjointReach(xf: Float32Array, batch: number): number {
  let r = 0;
  for (let n = 0; n < batch; n++) {
    const a = n * 12 + 6;
    r = Math.max(r, Math.abs(xf[a]) + Math.abs(xf[a + 1]), Math.abs(xf[a + 3]) + Math.abs(xf[a + 4]));
  }
  return Math.ceil(r) + 1;
}
