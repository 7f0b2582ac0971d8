// Decoding a visitor's image file in the browser into RGBA pixels, entirely on this machine:
// checks the file (format by its first bytes, size), decodes with createImageBitmap (an <img>
// from a local blob: URL where that is missing), reduces large pictures, and reads the pixels.

import type { RgbaImage } from './preprocess';
import { checkImageFile, checkImageSize, fitInside } from './validate';

/** A problem with a visitor's image; the message names the file and is meant for the page. */
export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

export interface DecodeOptions {
  /** Pictures larger than this on a side are reduced to it (aspect kept) before reading pixels; default 1024. */
  maxSide?: number;
}

export interface DecodedImage extends RgbaImage {
  data: Uint8ClampedArray;
  /** Size of the picture in the file, before any reduction. */
  originalWidth: number;
  originalHeight: number;
}

async function decodeWithImg(file: Blob): Promise<{ source: CanvasImageSource; width: number; height: number; close: () => void }> {
  const url = URL.createObjectURL(file);
  const img = new Image();
  img.src = url;
  try {
    await img.decode();
  } catch (e) {
    URL.revokeObjectURL(url);
    throw e;
  }
  return { source: img, width: img.naturalWidth, height: img.naturalHeight, close: () => URL.revokeObjectURL(url) };
}

async function decodeBitmap(file: Blob): Promise<{ source: CanvasImageSource; width: number; height: number; close: () => void }> {
  if (typeof createImageBitmap !== 'function') return decodeWithImg(file);
  const bitmap = await createImageBitmap(file);
  return { source: bitmap, width: bitmap.width, height: bitmap.height, close: () => bitmap.close() };
}

function canvas2d(width: number, height: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null {
  if (typeof OffscreenCanvas !== 'undefined') return new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c.getContext('2d', { willReadFrequently: true });
}

/** A File (or named Blob) -> RGBA pixels; throws ImageInputError with a message naming the file. */
export async function decodeImageFile(file: Blob & { name?: string }, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const name = file.name || 'the file';
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  const problem = checkImageFile({ name, size: file.size, type: file.type }, head);
  if (problem) throw new ImageInputError(problem);

  let decoded;
  try {
    decoded = await decodeBitmap(file);
  } catch (e) {
    const why = e instanceof Error && e.message ? `: ${e.message.replace(/[.\s]+$/, '')}` : '';
    throw new ImageInputError(`"${name}" could not be decoded${why}. It may be damaged, or in a variant this browser does not read.`);
  }
  try {
    const sizeProblem = checkImageSize(name, decoded.width, decoded.height);
    if (sizeProblem) throw new ImageInputError(sizeProblem);
    const { width, height } = fitInside(decoded.width, decoded.height, opts.maxSide ?? 1024);
    const ctx = canvas2d(width, height);
    if (!ctx) throw new ImageInputError(`"${name}": the browser gave no 2D canvas to read its pixels.`);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(decoded.source, 0, 0, width, height);
    const pixels = ctx.getImageData(0, 0, width, height);
    return { data: pixels.data, width, height, originalWidth: decoded.width, originalHeight: decoded.height };
  } finally {
    decoded.close();
  }
}
