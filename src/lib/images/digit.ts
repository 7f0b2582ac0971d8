// A hand-drawn digit made to look like MNIST: the ink's bounding box is scaled (area average,
// aspect kept) so its longer side is 20 px, then placed in a 28x28 black field with its centre
// of mass at the centre, as the MNIST images were made.

import { resizeArea, rgbaToPlanes, type RgbaImage } from './preprocess';

export interface DigitOptions {
  /** Side of the output field (28). */
  size?: number;
  /** Longer side of the digit's box inside it (20). */
  box?: number;
  /** Luminance above which a pixel counts as ink for the bounding box (0..255). */
  inkThreshold?: number;
}

/** Grey pixels (0..255 floats) -> opaque RGBA. */
function greyToRgba(grey: Float32Array, width: number, height: number): RgbaImage & { data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < grey.length; i++) {
    const v = Math.round(grey[i]);
    data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
    data[4 * i + 3] = 255;
  }
  return { data, width, height };
}

/** Bounding box of the pixels above the threshold, inclusive; null when there is no ink. */
export function inkBounds(grey: Float32Array, width: number, height: number, threshold: number): { y0: number; x0: number; y1: number; x1: number } | null {
  let y0 = height, x0 = width, y1 = -1, x1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (grey[y * width + x] > threshold) {
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
      }
  return y1 < 0 ? null : { y0, x0, y1, x1 };
}

/** Centre of mass (row, column) of grey pixels, in pixel index coordinates; null when all zero. */
export function centreOfMass(grey: Float32Array, width: number, height: number): { y: number; x: number } | null {
  let m = 0, my = 0, mx = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const v = grey[y * width + x];
      m += v;
      my += v * y;
      mx += v * x;
    }
  return m > 0 ? { y: my / m, x: mx / m } : null;
}

/** Any drawing (white on black) -> a size x size MNIST-style digit, RGBA. No ink: all black. */
export function centerDigit(image: RgbaImage, opts: DigitOptions = {}): RgbaImage & { data: Uint8ClampedArray } {
  const size = opts.size ?? 28, box = opts.box ?? 20, threshold = opts.inkThreshold ?? 8;
  if (!(box >= 1 && box <= size)) throw new RangeError(`digit box ${box} must fit in the ${size}x${size} field`);
  const grey = rgbaToPlanes(image, 1);
  const out = new Float32Array(size * size);
  const b = inkBounds(grey, image.width, image.height, threshold);
  if (!b) return greyToRgba(out, size, size);
  const ch = b.y1 - b.y0 + 1, cw = b.x1 - b.x0 + 1;
  const crop = new Float32Array(ch * cw);
  for (let y = 0; y < ch; y++) crop.set(grey.subarray((b.y0 + y) * image.width + b.x0, (b.y0 + y) * image.width + b.x0 + cw), y * cw);
  const s = box / Math.max(ch, cw);
  const dh = Math.max(1, Math.round(ch * s)), dw = Math.max(1, Math.round(cw * s));
  const digit = resizeArea(crop, 1, ch, cw, dh, dw);
  const c = centreOfMass(digit, dw, dh)!;
  const centre = (size - 1) / 2;
  // whole pixels (crisp), and the whole digit stays inside the field
  const oy = Math.min(size - dh, Math.max(0, Math.round(centre - c.y)));
  const ox = Math.min(size - dw, Math.max(0, Math.round(centre - c.x)));
  for (let y = 0; y < dh; y++) out.set(digit.subarray(y * dw, (y + 1) * dw), (oy + y) * size + ox);
  return greyToRgba(out, size, size);
}
