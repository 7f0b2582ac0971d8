// Colour scales and map pixel geometry: diverging is white at zero and darker with |t| on each
// side, both scales are monotone in luminance and clamp, NaN is neutral grey; pointer positions map
// to the exact pixel (checked against a brute-force search over pixel boxes), keys move a cursor.
import { describe, expect, it } from 'vitest';
import { colorFor, diverging, luminance, mapToRgba, NAN_RGB, sequential } from '../../src/lib/ui/maps/colormaps';
import { clampRect, displaySize, formatValue, moveCursor, onMap, pixelAt } from '../../src/lib/ui/maps/geometry';

const steps = (n: number, lo: number, hi: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

describe('colour scales', () => {
  it('diverging: zero is white, ends are blue (negative) and red (positive)', () => {
    expect(diverging(0)).toEqual([255, 255, 255]);
    expect(diverging(-0)).toEqual([255, 255, 255]);
    const [r1, , b1] = diverging(-1);
    expect(b1).toBeGreaterThan(r1);
    const [r2, , b2] = diverging(1);
    expect(r2).toBeGreaterThan(b2);
  });

  it('diverging: darker with |t| on each side, and clamps outside [-1, 1]', () => {
    const pos = steps(41, 0, 1).map((t) => luminance(diverging(t)));
    const neg = steps(41, 0, -1).map((t) => luminance(diverging(t)));
    for (let i = 1; i < pos.length; i++) {
      expect(pos[i]).toBeLessThanOrEqual(pos[i - 1]);
      expect(neg[i]).toBeLessThanOrEqual(neg[i - 1]);
    }
    expect(pos.at(-1)!).toBeLessThan(pos[0] - 100);
    expect(diverging(7)).toEqual(diverging(1));
    expect(diverging(-Infinity)).toEqual(diverging(-1));
  });

  it('sequential: luminance rises strictly from 0 to 1, and clamps', () => {
    const lum = steps(65, 0, 1).map((t) => luminance(sequential(t)));
    for (let i = 1; i < lum.length; i++) expect(lum[i]).toBeGreaterThan(lum[i - 1]);
    expect(sequential(-3)).toEqual(sequential(0));
    expect(sequential(Infinity)).toEqual(sequential(1));
  });

  it('NaN is a neutral grey on both scales, distinct from every colour of either scale', () => {
    expect(sequential(NaN)).toEqual(NAN_RGB);
    expect(diverging(NaN)).toEqual(NAN_RGB);
    const [r, g, b] = NAN_RGB;
    expect(r === g && g === b).toBe(true);
    const far = (c: number[]) => Math.max(...c.map((v, i) => Math.abs(v - NAN_RGB[i])));
    for (const t of steps(101, 0, 1)) expect(far(sequential(t))).toBeGreaterThan(20);
    for (const t of steps(101, -1, 1)) expect(far(diverging(t))).toBeGreaterThan(20);
  });

  it('colorFor: sequential spans min..max, diverging is symmetric around zero by max |value|', () => {
    expect(colorFor(2, 'sequential', 2, 6)).toEqual(sequential(0));
    expect(colorFor(5, 'sequential', 2, 6)).toEqual(sequential(0.75));
    expect(colorFor(-1, 'diverging', -1, 4)).toEqual(diverging(-0.25));
    expect(colorFor(4, 'diverging', -1, 4)).toEqual(diverging(1));
    expect(colorFor(0, 'diverging', -3, 0.5)).toEqual([255, 255, 255]);
    // degenerate ranges: a constant map, an all-zero kernel
    expect(colorFor(3, 'sequential', 3, 3)).toEqual(sequential(0));
    expect(colorFor(0, 'diverging', 0, 0)).toEqual([255, 255, 255]);
  });

  it('mapToRgba writes opaque pixels in row-major order', () => {
    const rgba = mapToRgba(new Float32Array([-1, 0, 1, NaN]), 'diverging', -1, 1);
    expect([...rgba]).toEqual([...diverging(-1), 255, 255, 255, 255, 255, ...diverging(1), 255, ...NAN_RGB, 255]);
  });
});

describe('map pixel geometry', () => {
  it('displaySize: the longer side gets `size`, the other keeps the aspect', () => {
    expect(displaySize(28, 28, 160)).toEqual({ width: 160, height: 160 });
    expect(displaySize(1, 1, 64)).toEqual({ width: 64, height: 64 });
    expect(displaySize(7, 14, 140)).toEqual({ width: 140, height: 70 });
    expect(displaySize(1, 500, 100)).toEqual({ width: 100, height: 1 });
  });

  it('pixelAt agrees with a brute-force search over the pixel boxes', () => {
    const box = { left: 13.5, top: 7.25, width: 163, height: 97 };
    const [h, w] = [5, 9];
    for (let py = box.top; py <= box.top + box.height; py += 1.7) {
      for (let px = box.left; px <= box.left + box.width; px += 2.3) {
        // the pixel whose half-open box [x0, x1) holds the point; the far edges belong to the last pixel
        let want: { y: number; x: number } | null = null;
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const x0 = box.left + (x * box.width) / w, x1 = box.left + ((x + 1) * box.width) / w;
            const y0 = box.top + (y * box.height) / h, y1 = box.top + ((y + 1) * box.height) / h;
            if (px >= x0 && (px < x1 || x === w - 1) && py >= y0 && (py < y1 || y === h - 1)) want = { y, x };
          }
        expect(pixelAt(px, py, box, h, w)).toEqual(want);
      }
    }
    expect(pixelAt(box.left - 0.01, box.top + 1, box, h, w)).toBeNull();
    expect(pixelAt(box.left + 1, box.top + box.height + 0.01, box, h, w)).toBeNull();
    expect(pixelAt(box.left + box.width, box.top + box.height, box, h, w)).toEqual({ y: h - 1, x: w - 1 });
    expect(pixelAt(1, 1, { left: 0, top: 0, width: 0, height: 10 }, h, w)).toBeNull();
  });

  it('moveCursor: arrows step and clamp, Shift jumps, Escape clears, other keys pass through', () => {
    expect(moveCursor(null, 'ArrowRight', false, 5, 7)).toEqual({ y: 2, x: 3 });
    expect(moveCursor({ y: 2, x: 3 }, 'ArrowRight', false, 5, 7)).toEqual({ y: 2, x: 4 });
    expect(moveCursor({ y: 0, x: 0 }, 'ArrowUp', false, 5, 7)).toEqual({ y: 0, x: 0 });
    expect(moveCursor({ y: 4, x: 6 }, 'ArrowDown', false, 5, 7)).toEqual({ y: 4, x: 6 });
    expect(moveCursor({ y: 0, x: 0 }, 'ArrowRight', true, 28, 28)).toEqual({ y: 0, x: 7 });
    expect(moveCursor({ y: 1, x: 1 }, 'Escape', false, 5, 7)).toBeNull();
    expect(moveCursor(null, 'Escape', false, 5, 7)).toBeUndefined();
    expect(moveCursor({ y: 1, x: 1 }, 'End', false, 5, 7)).toEqual({ y: 4, x: 6 });
    expect(moveCursor({ y: 1, x: 1 }, 'Home', false, 5, 7)).toEqual({ y: 0, x: 0 });
    expect(moveCursor(null, 'a', false, 5, 7)).toBeUndefined();
    expect(moveCursor(null, 'ArrowLeft', false, 1, 1)).toEqual({ y: 0, x: 0 });
  });

  it('clampRect clips to the map and orders corners; onMap checks bounds', () => {
    expect(clampRect({ y0: -2, x0: 3, y1: 30, x1: 1 }, 28, 28)).toEqual({ y0: 0, x0: 1, y1: 27, x1: 3 });
    expect(clampRect({ y0: 40, x0: 0, y1: 50, x1: 3 }, 28, 28)).toBeNull();
    expect(clampRect(null, 28, 28)).toBeNull();
    expect(onMap({ y: 27, x: 0 }, 28, 28)).toBe(true);
    expect(onMap({ y: 28, x: 0 }, 28, 28)).toBe(false);
    expect(onMap({ y: 1.5, x: 0 }, 28, 28)).toBe(false);
  });

  it('formatValue: three significant digits, exponents for tiny and huge values', () => {
    expect(formatValue(0.123456)).toBe('0.123');
    expect(formatValue(-2.5)).toBe('−2.50');
    expect(formatValue(0.00001234)).toBe('1.23e−5');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-Infinity)).toBe('−∞');
    expect(formatValue(-0.00001234)).toBe('−1.23e−5');
  });
});
