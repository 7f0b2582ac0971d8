// resizeImageSet against a plain CPU reference written from the rule alone: the centred whole-pixel
// rectangle that covers the new size (one side whole, the other round(new / scale)), each output
// pixel the exact area-weighted mean of the source pixels under it (computed in 2D, not
// separably), grey repeated to RGB, RGB to grey by Rec. 601 luma, rounded to uint8.
import { describe, expect, it } from 'vitest';
import { coverCrop, resizeImageSet } from '../../src/lib/images/resize';
import type { ImageSet } from '../../src/lib/images/imageSet';
import { rng } from '../helpers/random';

function randomSet(count: number, channels: number, height: number, width: number, seed: number): ImageSet {
  const r = rng(seed);
  return {
    count, channels, height, width,
    labels: Array.from({ length: count }, (_, i) => i % 2),
    classes: ['a', 'b'],
    splits: { scoring: [0, 1], evaluation: [1] },
    pixels: Uint8Array.from({ length: count * channels * height * width }, () => Math.floor(r() * 256)),
  };
}

/** The reference: for output pixel (y, x), the mean of the crop's source pixels weighted by their overlap with its box. */
function reference(set: ImageSet, channels: number, dh: number, dw: number): Uint8Array {
  const { height: sh, width: sw } = set;
  const scale = Math.max(dw / sw, dh / sh);
  const cw = Math.min(sw, Math.round(dw / scale)), ch = Math.min(sh, Math.round(dh / scale));
  const x0 = Math.floor((sw - cw) / 2), y0 = Math.floor((sh - ch) / 2);
  const out = new Uint8Array(set.count * channels * dh * dw);
  const src = (i: number, c: number, y: number, x: number) => set.pixels[((i * set.channels + c) * sh + y) * sw + x];
  const value = (i: number, c: number, y: number, x: number) => {
    if (set.channels === channels) return src(i, c, y, x);
    if (set.channels === 1) return src(i, 0, y, x);
    return 0.299 * src(i, 0, y, x) + 0.587 * src(i, 1, y, x) + 0.114 * src(i, 2, y, x);
  };
  for (let i = 0; i < set.count; i++)
    for (let c = 0; c < channels; c++)
      for (let y = 0; y < dh; y++)
        for (let x = 0; x < dw; x++) {
          const top = y0 + (y * ch) / dh, bottom = y0 + ((y + 1) * ch) / dh;
          const left = x0 + (x * cw) / dw, right = x0 + ((x + 1) * cw) / dw;
          let sum = 0, area = 0;
          for (let sy = Math.floor(top); sy < Math.ceil(bottom); sy++)
            for (let sx = Math.floor(left); sx < Math.ceil(right); sx++) {
              const a = (Math.min(bottom, sy + 1) - Math.max(top, sy)) * (Math.min(right, sx + 1) - Math.max(left, sx));
              sum += a * value(i, c, sy, sx);
              area += a;
            }
          out[((i * channels + c) * dh + y) * dw + x] = Math.round(sum / area);
        }
  return out;
}

describe('resizeImageSet', () => {
  const cases: [string, [number, number, number], [number, number, number]][] = [
    ['grey 28x28 -> RGB 64x64 (enlarged, repeated)', [1, 28, 28], [3, 64, 64]],
    ['RGB 60x60 -> grey 28x28 (reduced, luma)', [3, 60, 60], [1, 28, 28]],
    ['RGB 30x41 -> RGB 20x20 (wide: centre crop, odd margin)', [3, 30, 41], [3, 20, 20]],
    ['RGB 50x23 -> grey 17x32 (tall into wide)', [3, 50, 23], [1, 17, 32]],
    ['grey 33x33 -> grey 33x10', [1, 33, 33], [1, 33, 10]],
  ];
  for (const [name, from, to] of cases) {
    it(name, () => {
      const set = randomSet(3, ...from, from[1] * 100 + from[2]);
      const got = resizeImageSet(set, ...to);
      const want = reference(set, ...to);
      expect([got.count, got.channels, got.height, got.width]).toEqual([3, ...to]);
      expect(got.pixels.length).toBe(want.length);
      let worst = 0, differ = 0;
      for (let k = 0; k < want.length; k++) {
        const d = Math.abs(got.pixels[k] - want[k]);
        worst = Math.max(worst, d);
        if (d) differ++;
      }
      // float32 sums against float64: at most a rounding step, rarely
      expect(worst).toBeLessThanOrEqual(1);
      expect(differ / want.length).toBeLessThan(0.01);
      expect(got.labels).toEqual(set.labels);
      expect(got.classes).toEqual(set.classes);
      expect(got.splits).toEqual(set.splits);
    });
  }

  it('leaves a set of the right size alone, and refuses channel counts other than grey and RGB', () => {
    const set = randomSet(2, 3, 8, 8, 1);
    expect(resizeImageSet(set, 3, 8, 8)).toBe(set);
    expect(() => resizeImageSet(set, 4, 8, 8)).toThrow('cannot convert 3-channel images to 4 channels');
  });

  it('the crop covers the output with one side whole, centred', () => {
    expect(coverCrop(640, 480, 224, 224)).toEqual({ x: 80, y: 0, width: 480, height: 480 });
    expect(coverCrop(300, 451, 224, 224)).toEqual({ x: 0, y: 75, width: 300, height: 300 });
    expect(coverCrop(100, 100, 50, 25)).toEqual({ x: 0, y: 25, width: 100, height: 50 });
    expect(coverCrop(10, 10, 224, 224)).toEqual({ x: 0, y: 0, width: 10, height: 10 });
  });
});
