// The visitor's own pictures as an image set for the loaded model: a dropped or picked folder
// (a class per subfolder), several files, or a .zip -> each file's size read from its header
// (huge ones refused before decoding), decoded (createImageBitmap, in pages and workers), scaled
// to cover the model's input and centre-cropped, grey or RGB as the model takes -> uint8 CHW.
// Odd files are skipped and listed in one warning; nothing the visitor gives makes it throw
// except giving no usable image at all (ImageInputError) or cancelling (the signal's reason).

import { ImageInputError } from './decode';
import { MAX_IMAGE_BYTES } from './validate';
import { headerSizeProblem, probeImageFile, type ImageHeader } from './header';
import { coverCrop, rgbaToChw, type Geometry } from './resize';
import type { ImageSet } from './imageSet';
import { balancedSubset, classesOf, compareNames, gatherFiles, sharedFolders, takeItems, type GivenItems, type Skipped, type SourceFile, type TakenItem } from './sources';

/** Most images in one set. */
export const MAX_IMAGES = 5_000;
/** Most bytes of pixels in one set (a large input size holds fewer than MAX_IMAGES). */
export const MAX_SET_BYTES = 1024 * 1024 * 1024;
/** Files read and decoded at the same time. */
const BATCH = 8;

/** An image set made from the visitor's files, with what was left out, in words. */
export interface ImportedImageSet extends ImageSet {
  /** e.g. "3 files skipped: a.txt (not an image), b.png (broken PNG)"; and a note when too many were given. */
  warnings: string[];
}

export interface ImportProgress {
  phase: string;
  done: number;
  total: number;
}

/** Decodes a file into uint8 CHW pixels of the model's size (the header is already checked). */
export type DecodeFn = (file: Blob, header: ImageHeader, to: Geometry) => Promise<Uint8Array>;

export interface ImportOptions {
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** The decoder; default: createImageBitmap + a 2D canvas (decodeToGeometry). Tests inject their own. */
  decode?: DecodeFn;
  maxImages?: number;
}

interface Candidate {
  file: SourceFile;
  blob: Blob;
  header: ImageHeader;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Turns what the visitor gave into an image set of the model's input geometry: classes are the
 * subfolders (files directly in what was given: class "images"), every image in both the
 * "scoring" and "evaluation" splits. Takes a drop's items at once, so call it inside the drop handler.
 */
export function importImages(items: GivenItems, input: Geometry, opts: ImportOptions = {}): Promise<ImportedImageSet> {
  // before anything awaits: a drop's item list is emptied when its event ends
  const taken = takeItems(items);
  return importTaken(taken, input, opts);
}

async function importTaken(taken: TakenItem[], input: Geometry, opts: ImportOptions): Promise<ImportedImageSet> {
  const { signal, onProgress } = opts;
  const decode = opts.decode ?? decodeToGeometry;
  const perImage = input.channels * input.height * input.width;
  const maxImages = Math.max(1, Math.min(opts.maxImages ?? MAX_IMAGES, Math.floor(MAX_SET_BYTES / perImage)));
  if (input.channels !== 1 && input.channels !== 3) throw new ImageInputError(`The model takes ${input.channels}-channel images; pictures can only be made grey (1) or RGB (3).`);

  onProgress?.({ phase: 'Looking for images', done: 0, total: 0 });
  const gathered = await gatherFiles(taken, signal);
  const skipped: Skipped[] = [...gathered.skipped];
  const files = [...gathered.files].sort((a, b) => compareNames(a.path, b.path));

  // 1. headers: what each file is and its declared size, in a few bytes
  const candidates: Candidate[] = [];
  await inBatches(files, signal, (done) => onProgress?.({ phase: 'Reading image headers', done, total: files.length }), async (file) => {
    const c = await probe(file);
    if ('reason' in c) skipped.push(c);
    else candidates.push(c);
  });
  candidates.sort((a, b) => compareNames(a.file.path, b.file.path));

  // 2. at most maxImages, spread over the classes
  const given = candidates.length;
  // what was given is the folders all its images share, whichever of them decode
  const shared = sharedFolders(candidates.map((c) => c.file.path));
  const provisional = classesOf(candidates.map((c) => c.file.path), shared);
  const labelOf = new Map(candidates.map((c, i) => [c, provisional.labels[i]]));
  const chosen = balancedSubset(candidates, (c) => labelOf.get(c)!, maxImages);

  // 3. decoding, a batch at a time
  const decoded = new Map<Candidate, Uint8Array>();
  await inBatches(chosen, signal, (done) => onProgress?.({ phase: 'Decoding images', done, total: chosen.length }), async (c) => {
    try {
      const pixels = await decode(c.blob, c.header, input);
      if (pixels.length !== perImage) throw new Error(`decoded to ${pixels.length} values, not ${perImage}`);
      decoded.set(c, pixels);
    } catch {
      skipped.push({ path: c.file.path, reason: `broken ${c.header.kind}` });
    }
  });

  const kept = chosen.filter((c) => decoded.has(c));
  if (!kept.length) throw new ImageInputError(nothingUsable(files.length, skipped));
  // classes of the images that decoded (a class whose every file was broken is gone)
  const { classes, labels } = classesOf(kept.map((c) => c.file.path), shared);
  const pixels = new Uint8Array(kept.length * perImage);
  kept.forEach((c, i) => pixels.set(decoded.get(c)!, i * perImage));
  const all = kept.map((_, i) => i);
  const warnings: string[] = [];
  if (gathered.truncated) warnings.push(`More than ${fmt(files.length)} files were given; only the first ${fmt(files.length)} found were looked at.`);
  if (given > chosen.length) warnings.push(`${fmt(given)} images were given; ${fmt(chosen.length)} are used (at most ${fmt(maxImages)}, taken evenly from every class).`);
  if (skipped.length) warnings.push(skippedWarning(skipped));
  return {
    count: kept.length,
    channels: input.channels,
    height: input.height,
    width: input.width,
    labels,
    classes,
    splits: { scoring: all, evaluation: [...all] },
    pixels,
    warnings,
  };
}

/** A file's blob and header, or why it is skipped. */
async function probe(file: SourceFile): Promise<Candidate | Skipped> {
  let blob: Blob;
  try {
    blob = await file.open();
  } catch (err) {
    return { path: file.path, reason: err instanceof Error && err.message ? err.message : 'could not be read' };
  }
  if (blob.size > MAX_IMAGE_BYTES) return { path: file.path, reason: `${fmt(Math.round(blob.size / 2 ** 20))} MiB, over ${MAX_IMAGE_BYTES / 2 ** 20} MiB` };
  let read;
  try {
    read = await probeImageFile(blob);
  } catch {
    return { path: file.path, reason: 'could not be read' };
  }
  if ('problem' in read) return { path: file.path, reason: read.problem };
  if (!('header' in read)) return { path: file.path, reason: 'no size in its header' };
  const tooBig = headerSizeProblem(read.header);
  if (tooBig) return { path: file.path, reason: tooBig };
  return { file, blob, header: read.header };
}

/** Runs `work` on every item, BATCH at a time, reporting how many are done; stops when the signal aborts. */
async function inBatches<T>(items: T[], signal: AbortSignal | undefined, progress: (done: number) => void, work: (item: T) => Promise<void>): Promise<void> {
  progress(0);
  for (let start = 0; start < items.length; start += BATCH) {
    signal?.throwIfAborted();
    await Promise.all(items.slice(start, start + BATCH).map(work));
    progress(Math.min(items.length, start + BATCH));
  }
  signal?.throwIfAborted();
}

/** "3 files skipped: a.txt (not an image), b.png (broken PNG), …" (the first ten named). */
export function skippedWarning(skipped: Skipped[]): string {
  const sorted = [...skipped].sort((a, b) => compareNames(a.path, b.path));
  const named = sorted.slice(0, 10).map((s) => `${s.path} (${s.reason})`).join(', ');
  const more = sorted.length > 10 ? `, and ${fmt(sorted.length - 10)} more` : '';
  return `${fmt(sorted.length)} file${sorted.length === 1 ? '' : 's'} skipped: ${named}${more}`;
}

function nothingUsable(files: number, skipped: Skipped[]): string {
  if (!files && !skipped.length) return 'No files were found in what was given: drop or pick a folder of images, image files, or a .zip of them.';
  return `No usable image was found (PNG, JPEG, WebP, GIF or BMP). ${skippedWarning(skipped)}.`;
}

// ------------------------------------------------------------------ decoding in the browser

let canvas: OffscreenCanvas | HTMLCanvasElement | null = null;

function context2d(width: number, height: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  if (!canvas) canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : document.createElement('canvas');
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true }) as OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
  if (!ctx) throw new Error('no 2D canvas');
  return ctx;
}

/**
 * The browser's decoder: createImageBitmap (EXIF orientation applied), the centred rectangle that
 * covers the model's input scaled to it in one step (resizeQuality 'high'; a smoothed drawImage
 * where resizing bitmaps is missing), read back as grey or RGB.
 */
export async function decodeToGeometry(file: Blob, _header: ImageHeader, to: Geometry): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(file);
  let scaled: ImageBitmap | null = null;
  try {
    const crop = coverCrop(bitmap.width, bitmap.height, to.width, to.height);
    try {
      scaled = await createImageBitmap(bitmap, crop.x, crop.y, crop.width, crop.height, { resizeWidth: to.width, resizeHeight: to.height, resizeQuality: 'high' });
    } catch {
      scaled = null;
    }
    const ctx = context2d(to.width, to.height);
    ctx.clearRect(0, 0, to.width, to.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    if (scaled) ctx.drawImage(scaled, 0, 0);
    else ctx.drawImage(bitmap, crop.x, crop.y, crop.width, crop.height, 0, 0, to.width, to.height);
    const rgba = ctx.getImageData(0, 0, to.width, to.height).data;
    return rgbaToChw({ data: rgba, width: to.width, height: to.height }, to.channels);
  } finally {
    bitmap.close();
    scaled?.close();
  }
}
