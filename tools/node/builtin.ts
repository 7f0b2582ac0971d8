// Loads a built-in model and its image sets from static/weights/<name>/ in Node (tests,
// command line, benchmarks), through the same parser the browser uses.

import { readFileSync, existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseModel } from '../../src/lib/model/load';
import type { Model } from '../../src/lib/model/types';
import { pixelImageStream, type ImageStream } from '../../src/lib/circuits/imageStream';

export const WEIGHTS_DIR = fileURLToPath(new URL('../../static/weights/', import.meta.url));

export interface BuiltinImages {
  count: number;
  pixels: Uint8Array;
  labels: number[];
  classes: string[];
  splits: { scoring: number[]; evaluation: number[] };
}

const toArrayBuffer = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export function builtinModelNames(): string[] {
  return readdirSync(WEIGHTS_DIR).filter((n) => existsSync(`${WEIGHTS_DIR}${n}/model.json`)).sort();
}

export function loadBuiltinModel(name: string): Model {
  const dir = `${WEIGHTS_DIR}${name}/`;
  if (!existsSync(`${dir}model.json`)) throw new Error(`no built-in model "${name}" (have: ${builtinModelNames().join(', ')})`);
  return parseModel(JSON.parse(readFileSync(`${dir}model.json`, 'utf8')), toArrayBuffer(readFileSync(`${dir}weights.bin`)));
}

export function loadBuiltinImages(name: string): BuiltinImages {
  const dir = `${WEIGHTS_DIR}${name}/`;
  const meta = JSON.parse(readFileSync(`${dir}images.json`, 'utf8'));
  const pixels = new Uint8Array(toArrayBuffer(readFileSync(`${dir}images.bin`)));
  if (pixels.length !== meta.count * meta.channels * meta.height * meta.width)
    throw new Error(`${dir}images.bin has ${pixels.length} bytes, images.json describes ${meta.count} images of ${meta.channels}x${meta.height}x${meta.width}`);
  return { count: meta.count, pixels, labels: meta.labels, classes: meta.classes, splits: meta.splits };
}

/**
 * The image set a name describes, within a split: `all`, a class name, `class:N`,
 * `class:Name`, `image:N` (an index into images.bin), or `images:1,5,9`.
 */
export function namedImageSet(model: Model, imgs: BuiltinImages, name: string, split: 'scoring' | 'evaluation' | 'all' = 'scoring'): ImageStream {
  const pool = split === 'all' ? Array.from({ length: imgs.count }, (_, i) => i) : imgs.splits[split];
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
