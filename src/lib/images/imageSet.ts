// A model's built-in image set: images.json (the index) + images.bin (uint8 [N, C, H, W]
// raw pixels). Parsing is pure and validates everything; fetchImageSet loads a folder (the
// worker does, and hands the page a copy with the loaded model).

export const IMAGE_SET_FORMAT = 'cnn-microscope-images/1';

/** Index ranges or explicit index lists, per split name ("train", "test", ...). */
export type Splits = Record<string, number[]>;

export interface ImageSet {
  count: number;
  channels: number;
  height: number;
  width: number;
  /** Class index of each image. */
  labels: number[];
  classes: string[];
  splits: Splits;
  /** All pixels, image after image, CHW each. */
  pixels: Uint8Array;
}

export class ImageSetFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageSetFormatError';
  }
}

const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** Validates images.json and pairs it with the bytes of images.bin. */
export function parseImageSet(json: unknown, bin: ArrayBuffer | Uint8Array): ImageSet {
  const fail = (msg: string): never => {
    throw new ImageSetFormatError(`images.json: ${msg}`);
  };
  if (typeof json !== 'object' || json === null) fail('not an object');
  const j = json as Record<string, unknown>;
  if (j.format !== IMAGE_SET_FORMAT) fail(`format is ${JSON.stringify(j.format)}, expected "${IMAGE_SET_FORMAT}"`);
  for (const key of ['count', 'channels', 'height', 'width'] as const) {
    if (!positiveInt(j[key])) fail(`"${key}" must be a positive integer`);
  }
  const count = j.count as number;
  const channels = j.channels as number;
  const height = j.height as number;
  const width = j.width as number;
  if (!Array.isArray(j.classes) || j.classes.some((c) => typeof c !== 'string')) fail('"classes" must be a list of names');
  const classes = j.classes as string[];
  if (!Array.isArray(j.labels) || j.labels.length !== count) fail(`"labels" must list ${count} class indices`);
  const labels = j.labels as unknown[];
  labels.forEach((l, i) => {
    if (!Number.isInteger(l) || (l as number) < 0 || (l as number) >= classes.length) {
      fail(`label ${i} is ${JSON.stringify(l)}, not a class index below ${classes.length}`);
    }
  });
  const splits = parseSplits(j.splits, count, fail);
  const pixels = bin instanceof Uint8Array ? bin : new Uint8Array(bin);
  const expected = count * channels * height * width;
  if (pixels.length !== expected) {
    throw new ImageSetFormatError(
      `images.bin has ${pixels.length} bytes; ${count} images of ${channels}x${height}x${width} need ${expected}`,
    );
  }
  return { count, channels, height, width, labels: labels as number[], classes, splits, pixels };
}

/**
 * Accepts per split either a list of image indices, a [start, end) pair given as
 * {"start", "end"} / {"start", "count"}, or a two-number list when marked as a range.
 */
function parseSplits(raw: unknown, count: number, fail: (m: string) => never): Splits {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('"splits" must be an object');
  const out: Splits = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    let indices: number[];
    if (Array.isArray(value)) {
      indices = value as number[];
    } else if (typeof value === 'object' && value !== null && 'start' in value) {
      const v = value as { start: unknown; end?: unknown; count?: unknown };
      const start = v.start as number;
      const end = v.end !== undefined ? (v.end as number) : start + (v.count as number);
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > count || end < start) {
        fail(`split "${name}" has a bad range`);
      }
      indices = Array.from({ length: end - start }, (_, k) => start + k);
    } else {
      fail(`split "${name}" must be a list of indices or a {start, end} range`);
    }
    if (indices!.some((i) => !Number.isInteger(i) || i < 0 || i >= count)) fail(`split "${name}" names an image outside 0..${count - 1}`);
    out[name] = indices!;
  }
  return out;
}

/** The CHW pixels of image `index` (a view, not a copy). */
export function imagePixels(set: ImageSet, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= set.count) throw new RangeError(`no image ${index}`);
  const size = set.channels * set.height * set.width;
  return set.pixels.subarray(index * size, (index + 1) * size);
}

/**
 * Picks up to `perClass` images of every class, in index order, preferring the named
 * split (held-out images) when the set has it. Returns image indices grouped by class.
 */
export function samplesPerClass(set: ImageSet, perClass: number, preferSplit = 'test'): number[][] {
  const pool = set.splits[preferSplit] ?? Array.from({ length: set.count }, (_, i) => i);
  const groups: number[][] = set.classes.map(() => []);
  for (const i of pool) {
    const group = groups[set.labels[i]];
    if (group.length < perClass) group.push(i);
  }
  return groups;
}

/** Fetches images.json and images.bin from a folder URL ending in '/'. */
export async function fetchImageSet(folderUrl: string, fetchFn: typeof fetch = fetch): Promise<ImageSet> {
  const get = async (file: string) => {
    const res = await fetchFn(new URL(file, folderUrl).href);
    if (!res.ok) throw new ImageSetFormatError(`${file}: HTTP ${res.status}`);
    return res;
  };
  const [jsonRes, binRes] = await Promise.all([get('images.json'), get('images.bin')]);
  let json: unknown;
  try {
    json = await jsonRes.json();
  } catch {
    throw new ImageSetFormatError('images.json is not valid JSON');
  }
  return parseImageSet(json, await binRes.arrayBuffer());
}
