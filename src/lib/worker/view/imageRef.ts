// The images the inspector and ablation run on: one of the model's own images (normalized
// here from its uint8 pixels) or a custom one the visitor made, checked, with a key that
// tells two images apart for the forward-pass cache.

import type { Model } from '../../model/types';
import type { ImageSet } from '../../images/imageSet';
import type { ImageRef } from '../protocol';
import { normalizePixels } from '../../images/preprocess';

export interface NormalizedImage {
  key: string;
  /** Normalized CHW values. */
  pixels: Float32Array;
  /** The image's class in its set; null for a custom image. */
  label: number | null;
}

export function normalizedImage(model: Model, images: ImageSet | null, ref: ImageRef): NormalizedImage {
  const { channels, height, width } = model.input;
  const per = channels * height * width;
  if (ref?.kind === 'set') {
    if (!images) throw new RangeError(`an image from the set needs the model's image set, and model "${model.name}" has none (images.json)`);
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= images.count) {
      throw new RangeError(`image ${ref.index} does not exist: the set has ${images.count} images (0..${images.count - 1})`);
    }
    const pixels = normalizePixels(images.pixels.subarray(ref.index * per, (ref.index + 1) * per), model.input);
    return { key: `set:${ref.index}`, pixels, label: images.labels[ref.index] };
  }
  if (ref?.kind === 'custom') {
    const p = ref.pixels;
    if (!(p instanceof Float32Array) || p.length !== per) {
      throw new RangeError(`a custom image must be ${channels}x${height}x${width} = ${per} normalized values, got ${p instanceof Float32Array ? p.length : typeof p}`);
    }
    let hash = 2166136261;
    const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
    for (let i = 0; i < bits.length; i++) {
      if (!Number.isFinite(p[i])) throw new RangeError(`a custom image has a non-finite value at ${i}`);
      hash = Math.imul(hash ^ bits[i], 16777619) >>> 0;
    }
    return { key: `custom:${hash.toString(16)}:${p.length}`, pixels: Float32Array.from(p), label: null };
  }
  throw new TypeError('an image is {kind: "set", index} or {kind: "custom", pixels}');
}
