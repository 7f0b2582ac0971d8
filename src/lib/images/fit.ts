// Making a visitor's picture look like the models' training images before preprocessing: a
// square by padding or centre-cropping (so resizing keeps the aspect), and a light background
// turned dark (MNIST and Fashion-MNIST show light objects on black).

import { LUMA, type RgbaImage } from './preprocess';

type Rgba = RgbaImage & { data: Uint8ClampedArray };

/**
 * A square version of the image: 'pad' centres it on a square of its longer side filled with
 * `fill` (RGBA, default opaque black), 'crop' keeps the centred square of its shorter side.
 */
export function toSquare(image: RgbaImage, mode: 'pad' | 'crop', fill: [number, number, number, number] = [0, 0, 0, 255]): Rgba {
  const { width: w, height: h, data } = image;
  if (data.length !== w * h * 4) throw new RangeError(`RGBA data of ${data.length} bytes does not fit ${w}x${h}`);
  const side = mode === 'pad' ? Math.max(w, h) : Math.min(w, h);
  const out = new Uint8ClampedArray(side * side * 4);
  if (mode === 'pad') for (let i = 0; i < side * side; i++) out.set(fill, 4 * i);
  // offset of the source in the square (pad) or of the square in the source (crop)
  const dx = Math.floor(Math.abs(side - w) / 2), dy = Math.floor(Math.abs(side - h) / 2);
  const rows = Math.min(h, side), cols = Math.min(w, side);
  for (let y = 0; y < rows; y++) {
    const sy = mode === 'pad' ? y : y + dy, ty = mode === 'pad' ? y + dy : y;
    const sx = mode === 'pad' ? 0 : dx, tx = mode === 'pad' ? dx : 0;
    out.set(data.subarray(4 * (sy * w + sx), 4 * (sy * w + sx + cols)), 4 * (ty * side + tx));
  }
  return { data: out, width: side, height: side };
}

/** Mean luminance (0..255) of the outermost ring of pixels, transparent ones counted as black. */
export function borderLuminance(image: RgbaImage): number {
  const { width: w, height: h, data } = image;
  let sum = 0, n = 0;
  const add = (x: number, y: number) => {
    const i = 4 * (y * w + x), a = data[i + 3] / 255;
    sum += (LUMA[0] * data[i] + LUMA[1] * data[i + 1] + LUMA[2] * data[i + 2]) * a;
    n++;
  };
  for (let x = 0; x < w; x++) {
    add(x, 0);
    if (h > 1) add(x, h - 1);
  }
  for (let y = 1; y < h - 1; y++) {
    add(0, y);
    if (w > 1) add(w - 1, y);
  }
  return n ? sum / n : 0;
}

/** The image with its colours inverted when its border is light (a photo on white), else itself. */
export function darkBackground(image: RgbaImage, threshold = 128): { image: RgbaImage; inverted: boolean } {
  if (borderLuminance(image) < threshold) return { image, inverted: false };
  const data = new Uint8ClampedArray(image.data.length);
  for (let i = 0; i < data.length; i += 4) {
    // composite over white first, so transparent areas of a light picture become black too
    const a = image.data[i + 3] / 255;
    for (let c = 0; c < 3; c++) data[i + c] = 255 - Math.round(image.data[i + c] * a + 255 * (1 - a));
    data[i + 3] = 255;
  }
  return { image: { data, width: image.width, height: image.height }, inverted: true };
}
