// Loads a built-in model and its image set from static/weights/<name>/ in Node (tests,
// command line, benchmarks), through the same parsers the browser uses (one ImageSet type).

import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseModel } from '../../src/lib/model/load';
import type { Model } from '../../src/lib/model/types';
import { parseImageSet, type ImageSet } from '../../src/lib/images/imageSet';
import { pixelImageStream, type ImageStream } from '../../src/lib/circuits/imageStream';

export const WEIGHTS_DIR = fileURLToPath(new URL('../../static/weights/', import.meta.url));

const toArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export function builtinModelNames(): string[] {
  return readdirSync(WEIGHTS_DIR).filter((n) => existsSync(`${WEIGHTS_DIR}${n}/model.json`)).sort();
}

export function loadBuiltinModel(name: string): Model {
  const dir = `${WEIGHTS_DIR}${name}/`;
  if (!existsSync(`${dir}model.json`)) throw new Error(`no built-in model "${name}" (have: ${builtinModelNames().join(', ')})`);
  return parseModel(JSON.parse(readFileSync(`${dir}model.json`, 'utf8')), toArrayBuffer(readFileSync(`${dir}weights.bin`)));
}

/** The model's image set (images.json + images.bin), validated as the page validates it. */
export function loadBuiltinImages(name: string): ImageSet {
  const dir = `${WEIGHTS_DIR}${name}/`;
  if (!existsSync(`${dir}images.json`)) throw new Error(`built-in model "${name}" has no image set (${dir}images.json)`);
  return parseImageSet(JSON.parse(readFileSync(`${dir}images.json`, 'utf8')), new Uint8Array(toArrayBuffer(readFileSync(`${dir}images.bin`))));
}

/**
 * The image set a name describes, within a split: `all`, a class name, `class:N`,
 * `class:Name`, `image:N` (an index into images.bin), or `images:1,5,9`.
 */
export function namedImageSet(model: Model, imgs: ImageSet, name: string, split: 'scoring' | 'evaluation' | 'all' = 'scoring'): ImageStream {
  const every = Array.from({ length: imgs.count }, (_, i) => i);
  const pool = split === 'all' ? every : (imgs.splits[split] ?? every);
  const lower = name.trim().toLowerCase();
  let indices: number[];
  if (lower === 'all') indices = pool;
  else if (lower.startsWith('image:')) indices = [Number(lower.slice(6))];
  else if (lower.startsWith('images:')) indices = lower.slice(7).split(',').map(Number);
  else {
    const cls = lower.startsWith('class:') ? name.trim().slice(6) : name.trim();
    let c = /^\d+$/.test(cls) ? Number(cls) : imgs.classes.findIndex((x) => x.toLowerCase() === cls.toLowerCase());
    if (c < 0 || c >= imgs.classes.length) throw new Error(`unknown image set "${name}" (classes: ${imgs.classes.join(', ')}; or all, image:N)`);
    indices = pool.filter((i) => imgs.labels[i] === c);
  }
  if (indices.some((i) => !Number.isInteger(i) || i < 0 || i >= imgs.count)) throw new Error(`image set "${name}" names images outside 0..${imgs.count - 1}`);
  return pixelImageStream(`${name} (${indices.length} images)`, model.input, imgs.pixels, indices, imgs.labels);
}
