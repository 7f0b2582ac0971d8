// Transform draws: magnitudes scaled from Lucid's 224-pixel values, draws inside their
// ranges and reproducible from a seed, affine maps and their inverses consistent (CPU only).

import { describe, it, expect } from 'vitest';
import { transformMagnitudes, drawTransforms, affineFor, adjointReach } from '../../src/lib/featureviz/transforms';
import { seededUniform } from '../../src/lib/circuits/saliency';
import { freshSeed } from '../helpers/random';

describe('transform draws', () => {
  it('scale Lucid magnitudes by size / 224 with at least one pixel', () => {
    expect(transformMagnitudes(224, 224)).toMatchObject({ pad: 12, jitter1: 8, jitter2: 4, fill: 0.5 });
    expect(transformMagnitudes(28, 28)).toMatchObject({ pad: 2, jitter1: 1, jitter2: 1 });
    expect(transformMagnitudes(35, 35)).toMatchObject({ pad: 2, jitter1: 1, jitter2: 1 });
    const m = transformMagnitudes(28, 28);
    expect(m.scales[0]).toBeCloseTo(0.9, 12);
    expect(m.scales[10]).toBeCloseTo(1.1, 12);
    expect(m.angles).toEqual(Array.from({ length: 21 }, (_, i) => i - 10));
  });

  it('draws are reproducible, inside their ranges, and the stored inverse inverts the map', () => {
    const seed = freshSeed();
    const a = drawTransforms(seededUniform(seed), 50, 28, 28);
    expect(Array.from(drawTransforms(seededUniform(seed), 50, 28, 28))).toEqual(Array.from(a));
    expect(Array.from(drawTransforms(seededUniform(seed + 1), 50, 28, 28))).not.toEqual(Array.from(a));
    for (let n = 0; n < 50; n++) {
      const x = a.subarray(n * 12, n * 12 + 12);
      const det = x[0] * x[4] - x[1] * x[3];
      const scale = 1 / Math.sqrt(det);
      expect(scale, `seed ${seed}`).toBeGreaterThan(0.9 - 1e-5);
      expect(scale).toBeLessThan(1.1 + 1e-5);
      const deg = (Math.atan2(x[1], x[0]) * 180) / Math.PI;
      expect(Math.abs(deg - Math.round(deg))).toBeLessThan(1e-3);
      expect(Math.abs(deg)).toBeLessThanOrEqual(10 + 1e-3);
      // u -> x -> u through the inverse.
      for (const [u, v] of [[0, 0], [27, 3], [13.5, 13.5]]) {
        const sx = x[0] * u + x[1] * v + x[2], sy = x[3] * u + x[4] * v + x[5];
        expect(x[6] * sx + x[7] * sy + x[8]).toBeCloseTo(u, 3);
        expect(x[9] * sx + x[10] * sy + x[11]).toBeCloseTo(v, 3);
      }
    }
    expect(adjointReach(a, 50)).toBeLessThanOrEqual(3);
  });

  it('a pure shift moves the content by the jitter; the centre is fixed under scale and rotation', () => {
    const s = affineFor(28, 28, 1, 0, 2, -1);
    // Output pixel (5, 5) shows source (3, 6).
    expect(s[0] * 5 + s[1] * 5 + s[2]).toBeCloseTo(3, 12);
    expect(s[3] * 5 + s[4] * 5 + s[5]).toBeCloseTo(6, 12);
    const r = affineFor(28, 28, 1.1, 10, 0, 0);
    expect(r[0] * 13.5 + r[1] * 13.5 + r[2]).toBeCloseTo(13.5, 12);
    expect(r[3] * 13.5 + r[4] * 13.5 + r[5]).toBeCloseTo(13.5, 12);
  });
});
