// Opens an .onnx file in Node (command line, benchmarks) through the page's importer, with the
// import dialog's choices as options, and the demo photos resized to its input as its image set.

import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { importOnnx, inspectOnnx, IMAGENET_PREPROCESSING, type OnnxImport } from '../../src/lib/model/onnx/import';
import { parseImageSet, type ImageSet } from '../../src/lib/images/imageSet';
import { resizeImageSet } from '../../src/lib/images/resize';

const STATIC = fileURLToPath(new URL('../../static/', import.meta.url));

export interface OnnxOptions {
  /** imagenet (the 1,000 names), numbered, or a text file with one name per line. */
  classes?: string;
  /** HxW, for a file that leaves its input size open. */
  size?: string;
  bgr?: boolean;
}

function classNames(spec: string, count: number | null): string[] {
  if (spec === 'numbered') {
    if (!count) throw new Error('--classes numbered needs a file that states its output size');
    return Array.from({ length: count }, (_, i) => `class ${i}`);
  }
  const file = spec === 'imagenet' ? `${STATIC}classes/imagenet.txt` : spec;
  if (!existsSync(file)) throw new Error(`--classes: no file ${file}`);
  return readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
}

export function loadOnnxFile(path: string, opts: OnnxOptions = {}): OnnxImport {
  const bytes = new Uint8Array(readFileSync(path));
  const summary = inspectOnnx(bytes);
  const [h, w] = opts.size ? opts.size.split('x').map(Number) : [summary.height ?? 224, summary.width ?? 224];
  const name = path.replace(/^.*\//, '').replace(/\.onnx$/i, '');
  const classes = classNames(opts.classes ?? (summary.classCount === 1000 ? 'imagenet' : 'numbered'), summary.classCount);
  return importOnnx(bytes, name, { ...IMAGENET_PREPROCESSING, height: h, width: w ?? h, channelOrder: opts.bgr ? 'bgr' : 'rgb', classes });
}

/** The demo photos (static/images/demo-photos) at the model's input size and channels. */
export function demoPhotosFor(channels: number, height: number, width: number): ImageSet {
  const dir = `${STATIC}images/demo-photos/`;
  const buf = readFileSync(`${dir}images.bin`);
  const set = parseImageSet(JSON.parse(readFileSync(`${dir}images.json`, 'utf8')), new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  return resizeImageSet(set, channels, height, width);
}
