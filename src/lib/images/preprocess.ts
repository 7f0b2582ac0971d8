// Turns pixels into the model's input tensor: uint8 CHW pixels or RGBA ImageData of any
// size -> channel conversion (luminance for grey models) -> area-average resize ->
// per-channel normalization (p/255 - mean) / std, laid out NCHW as float32. The visitor's
// image keeps its resized pixels for display (prepareImage), so nothing un-normalizes.

/** What preprocessing needs to know about the model's input (a subset of InputSpec). */
export interface InputGeometry {
  channels: number;
  height: number;
  width: number;
  mean: number[];
  std: number[];
}

/** An RGBA image as ImageData holds it (row-major, 4 bytes per pixel). */
export interface RgbaImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** Rec. 601 luma weights, as PIL's "L" mode and torchvision's Grayscale use. */
export const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * Normalizes one image of uint8 CHW pixels already at the model's size.
 * Writes into `out` at `offset` (for batching) or into a fresh array.
 */
export function normalizePixels(
  pixels: ArrayLike<number>,
  spec: InputGeometry,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const plane = spec.height * spec.width;
  const size = spec.channels * plane;
  if (pixels.length !== size) {
    throw new RangeError(`expected ${size} pixels (${spec.channels}x${spec.height}x${spec.width}), got ${pixels.length}`);
  }
  checkNormalization(spec);
  const target = out ?? new Float32Array(size);
  if (target.length < offset + size) throw new RangeError('output buffer too small');
  for (let c = 0; c < spec.channels; c++) {
    const mean = spec.mean[c];
    const invStd = 1 / spec.std[c];
    const base = c * plane;
    for (let i = 0; i < plane; i++) {
      target[offset + base + i] = (pixels[base + i] / 255 - mean) * invStd;
    }
  }
  return target;
}

/** Normalizes several images (each CHW uint8 at the model's size) into one NCHW batch. */
export function normalizeBatch(images: ArrayLike<number>[], spec: InputGeometry): Float32Array {
  const size = spec.channels * spec.height * spec.width;
  const out = new Float32Array(images.length * size);
  images.forEach((img, i) => normalizePixels(img, spec, out, i * size));
  return out;
}

/**
 * Splits RGBA pixels into `channels` float planes in [0, 255]: 1 -> luminance, 3 -> RGB.
 * Transparent pixels are composited over black (alpha-weighted), so a cut-out object on
 * a transparent background looks like the dark-background images these models saw.
 */
export function rgbaToPlanes(image: RgbaImage, channels: number): Float32Array {
  const { data, width, height } = image;
  const plane = width * height;
  if (data.length !== plane * 4) throw new RangeError(`RGBA data of ${data.length} bytes does not fit ${width}x${height}`);
  if (channels !== 1 && channels !== 3) throw new RangeError(`cannot convert RGBA to ${channels} channels`);
  const out = new Float32Array(channels * plane);
  for (let i = 0; i < plane; i++) {
    const a = data[i * 4 + 3] / 255;
    const r = data[i * 4] * a;
    const g = data[i * 4 + 1] * a;
    const b = data[i * 4 + 2] * a;
    if (channels === 1) {
      out[i] = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
    } else {
      out[i] = r;
      out[plane + i] = g;
      out[2 * plane + i] = b;
    }
  }
  return out;
}

/**
 * Area-average resize of `channels` float planes from sh x sw to dh x dw. Every output
 * pixel is the mean of the source area it covers, each source pixel weighted by the
 * fraction of it inside that area (exact for non-integer ratios; a box filter when
 * enlarging). Separable: rows first, then columns.
 */
export function resizeArea(
  planes: Float32Array,
  channels: number,
  sh: number,
  sw: number,
  dh: number,
  dw: number,
): Float32Array {
  if (planes.length !== channels * sh * sw) throw new RangeError('planes do not match the given size');
  if (sh < 1 || sw < 1 || dh < 1 || dw < 1) throw new RangeError('sizes must be positive');
  if (sh === dh && sw === dw) return planes.slice();
  const wx = areaWeights(sw, dw);
  const wy = areaWeights(sh, dh);
  const out = new Float32Array(channels * dh * dw);
  const rows = new Float32Array(sh * dw);
  for (let c = 0; c < channels; c++) {
    const src = c * sh * sw;
    // Horizontal pass: each source row -> dw samples.
    for (let y = 0; y < sh; y++) {
      for (let x = 0; x < dw; x++) {
        const { start, weights } = wx[x];
        let acc = 0;
        for (let k = 0; k < weights.length; k++) acc += planes[src + y * sw + start + k] * weights[k];
        rows[y * dw + x] = acc;
      }
    }
    // Vertical pass.
    const dst = c * dh * dw;
    for (let y = 0; y < dh; y++) {
      const { start, weights } = wy[y];
      for (let x = 0; x < dw; x++) {
        let acc = 0;
        for (let k = 0; k < weights.length; k++) acc += rows[(start + k) * dw + x] * weights[k];
        out[dst + y * dw + x] = acc;
      }
    }
  }
  return out;
}

/** For each of `dst` output cells: the first source index it overlaps and normalized overlap weights. */
function areaWeights(src: number, dst: number): { start: number; weights: Float64Array }[] {
  const scale = src / dst;
  const cells = [];
  for (let i = 0; i < dst; i++) {
    const lo = i * scale;
    const hi = (i + 1) * scale;
    const start = Math.floor(lo);
    const end = Math.min(src, Math.ceil(hi));
    const weights = new Float64Array(end - start);
    for (let s = start; s < end; s++) {
      weights[s - start] = Math.min(hi, s + 1) - Math.max(lo, s);
    }
    const total = weights.reduce((a, b) => a + b, 0);
    for (let k = 0; k < weights.length; k++) weights[k] /= total;
    cells.push({ start, weights });
  }
  return cells;
}

/**
 * Any RGBA image (an upload, a drawing) -> the model's normalized CHW float32 input.
 * The whole image is resized to the input size (no cropping; the aspect ratio is not kept).
 */
export function imageToInput(image: RgbaImage, spec: InputGeometry): Float32Array {
  const resized = resizeToInput(image, spec);
  return normalizePixels(resized, spec, resized); // in place: each value is read before it is written
}

/** The visitor's image at the model's input size, both as the page shows it and as the model takes it. */
export interface PreparedImage {
  /** uint8 CHW pixels for display (the resized image, rounded). */
  pixels: Uint8Array;
  /** The normalized CHW input. */
  input: Float32Array;
}

/** Like imageToInput, keeping the resized pixels for display too. */
export function prepareImage(image: RgbaImage, spec: InputGeometry): PreparedImage {
  const resized = resizeToInput(image, spec);
  const pixels = Uint8Array.from(resized, (v) => Math.round(Math.min(255, Math.max(0, v))));
  return { pixels, input: normalizePixels(resized, spec) };
}

/** RGBA -> the model's channels, resized to its input size, values in [0, 255]. */
function resizeToInput(image: RgbaImage, spec: InputGeometry): Float32Array {
  checkNormalization(spec);
  const planes = rgbaToPlanes(image, spec.channels);
  return resizeArea(planes, spec.channels, image.height, image.width, spec.height, spec.width);
}

function checkNormalization(spec: InputGeometry): void {
  if (spec.mean.length !== spec.channels || spec.std.length !== spec.channels) {
    throw new RangeError(`mean/std need one value per channel (${spec.channels})`);
  }
  if (spec.std.some((s) => !(s > 0))) throw new RangeError('std values must be positive');
}
