// Shared by the worker tests: a built-in model's image set read from static/weights in Node,
// a random uint8 image set for fixture models, and a session on the test GPU device.

import type { ImageSet } from '../../src/lib/images/imageSet';
import type { Model } from '../../src/lib/model/types';
import { loadBuiltinImages } from '../../tools/node/builtin';
import { rng } from '../helpers/random';

/** A built-in model's image set, read as the command line reads it (the page's parser). */
export const builtinImageSet = (name: string): ImageSet => loadBuiltinImages(name);

/** `count` random images of the model's input size, labels cycling through the classes. */
export function randomImageSet(model: Model, count: number, seed: number): ImageSet {
  const { channels, height, width } = model.input;
  const r = rng(seed);
  const pixels = Uint8Array.from({ length: count * channels * height * width }, () => Math.floor(r() * 256));
  const labels = Array.from({ length: count }, (_, i) => i % model.classes.length);
  const half = Math.ceil(count / 2);
  return {
    count, channels, height, width, labels, classes: [...model.classes], pixels,
    splits: { scoring: Array.from({ length: half }, (_, i) => i), evaluation: Array.from({ length: count - half }, (_, i) => half + i) },
  };
}

/** Normalized CHW floats of image `index`, computed independently of the session. */
export function normalizedImage(model: Model, set: ImageSet, index: number): Float64Array {
  const { channels, height, width, mean, std } = model.input;
  const plane = height * width;
  const out = new Float64Array(channels * plane);
  for (let c = 0; c < channels; c++)
    for (let q = 0; q < plane; q++) out[c * plane + q] = (set.pixels[index * channels * plane + c * plane + q] / 255 - mean[c]) / std[c];
  return out;
}
