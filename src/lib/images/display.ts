// Drawing dataset images: uint8 CHW pixels -> RGBA bytes for a canvas ImageData
// (grey images repeat their one channel), plus a helper that paints a canvas.

/** uint8 CHW (1 or 3 channels) -> RGBA, opaque. */
export function pixelsToRgba(pixels: ArrayLike<number>, channels: number, height: number, width: number): Uint8ClampedArray {
  const plane = height * width;
  if (pixels.length !== channels * plane) throw new RangeError('pixel count does not match the size');
  if (channels !== 1 && channels !== 3) throw new RangeError(`cannot display ${channels} channels`);
  const out = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    const r = pixels[i];
    out[i * 4] = r;
    out[i * 4 + 1] = channels === 3 ? pixels[plane + i] : r;
    out[i * 4 + 2] = channels === 3 ? pixels[2 * plane + i] : r;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Paints CHW pixels onto a canvas at their natural size (CSS scales it, pixelated). */
export function paintPixels(canvas: HTMLCanvasElement, pixels: ArrayLike<number>, channels: number, height: number, width: number): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const rgba = pixelsToRgba(pixels, channels, height, width);
  ctx.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0);
}
