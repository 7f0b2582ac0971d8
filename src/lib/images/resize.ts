// Fitting pictures to a model's input the way ImageNet models are fed: scale so the picture
// covers the input and cut out the centre (resize the short side, centre-crop, in one step);
// grey becomes RGB by repeating it, RGB becomes grey by luminance. For the visitor's decoded
// images (the crop rectangle) and for whole image sets of another size (resizeImageSet).

import type { ImageSet } from './imageSet';
import { LUMA, resizeArea, rgbaToPlanes, type RgbaImage } from './preprocess';

export interface Geometry {
  channels: number;
  height: number;
  width: number;
}

/** The centred rectangle of a sw x sh picture that, scaled, exactly covers dw x dh (whole pixels; one side whole). */
export function coverCrop(sw: number, sh: number, dw: number, dh: number): { x: number; y: number; width: number; height: number } {
  if (!(sw > 0 && sh > 0 && dw > 0 && dh > 0)) throw new RangeError(`sizes must be positive (${sw}x${sh} to ${dw}x${dh})`);
  const scale = Math.max(dw / sw, dh / sh);
  const width = Math.min(sw, Math.max(1, Math.round(dw / scale)));
  const height = Math.min(sh, Math.max(1, Math.round(dh / scale)));
  return { x: Math.floor((sw - width) / 2), y: Math.floor((sh - height) / 2), width, height };
}

/** Float planes of `from` channels as `to` channels: 1 -> 3 repeats the grey, 3 -> 1 takes the luminance. */
export function convertChannels(planes: Float32Array, from: number, to: number, plane: number): Float32Array {
  if (from === to) return planes;
  if (from === 1 && to === 3) {
    const out = new Float32Array(3 * plane);
    for (let c = 0; c < 3; c++) out.set(planes.subarray(0, plane), c * plane);
    return out;
  }
  if (from === 3 && to === 1) {
    const out = new Float32Array(plane);
    for (let i = 0; i < plane; i++) out[i] = LUMA[0] * planes[i] + LUMA[1] * planes[plane + i] + LUMA[2] * planes[2 * plane + i];
    return out;
  }
  throw new RangeError(`cannot convert ${from}-channel images to ${to} channels (only grey and RGB)`);
}

/** Float values -> uint8, rounded and clamped. */
function toBytes(values: Float32Array, out: Uint8Array, offset: number): void {
  for (let i = 0; i < values.length; i++) out[offset + i] = Math.round(Math.min(255, Math.max(0, values[i])));
}

/** One uint8 CHW picture of any size -> uint8 CHW at `to`'s size and channels (cover and centre crop, area average). */
export function fitPixels(pixels: ArrayLike<number>, from: Geometry, to: Geometry, out = new Uint8Array(to.channels * to.height * to.width), offset = 0): Uint8Array {
  const plane = from.height * from.width;
  if (pixels.length !== from.channels * plane) throw new RangeError(`expected ${from.channels}x${from.height}x${from.width} pixels, got ${pixels.length}`);
  const crop = coverCrop(from.width, from.height, to.width, to.height);
  // fewer channels first (less to resize), more channels after
  const early = to.channels < from.channels ? to.channels : from.channels;
  let planes: Float32Array = new Float32Array(early * crop.height * crop.width);
  const source = convertChannels(Float32Array.from(pixels), from.channels, early, plane);
  for (let c = 0; c < early; c++) {
    for (let y = 0; y < crop.height; y++) {
      const row = c * plane + (crop.y + y) * from.width + crop.x;
      planes.set(source.subarray(row, row + crop.width), (c * crop.height + y) * crop.width);
    }
  }
  planes = resizeArea(planes, early, crop.height, crop.width, to.height, to.width);
  toBytes(convertChannels(planes, early, to.channels, to.height * to.width), out, offset);
  return out;
}

/** RGBA pixels (already at the model's size) -> uint8 CHW of 1 (luminance) or 3 channels, transparency over black. */
export function rgbaToChw(image: RgbaImage, channels: number): Uint8Array {
  const planes = rgbaToPlanes(image, channels);
  const out = new Uint8Array(planes.length);
  toBytes(planes, out, 0);
  return out;
}

/**
 * An image set at another input size and channel count (labels, classes and splits kept): every
 * image scaled to cover the new size and centre-cropped, grey repeated to RGB or RGB to luminance.
 * The same set when nothing changes.
 */
export function resizeImageSet(set: ImageSet, channels: number, height: number, width: number): ImageSet {
  if (set.channels === channels && set.height === height && set.width === width) return set;
  const from = { channels: set.channels, height: set.height, width: set.width };
  const to = { channels, height, width };
  const inSize = from.channels * from.height * from.width;
  const outSize = channels * height * width;
  const pixels = new Uint8Array(set.count * outSize);
  for (let i = 0; i < set.count; i++) fitPixels(set.pixels.subarray(i * inSize, (i + 1) * inSize), from, to, pixels, i * outSize);
  return { ...set, channels, height, width, labels: [...set.labels], classes: [...set.classes], splits: structuredClone(set.splits), pixels };
}
