// The images the inspector and ablation run on: one of the model's own images (normalized
// here from its uint8 pixels) or a custom one the visitor made, registered once by its pixels
// and named afterwards by a short key (the key also tells images apart for the forward-pass cache).

import type { Model } from '../../model/types';
import type { ImageSet } from '../../images/imageSet';
import type { ImageRef } from '../protocol';
import { normalizePixels } from '../../images/preprocess';
import { Lru } from './lru';

export interface NormalizedImage {
  key: string;
  /** Normalized CHW values. */
  pixels: Float32Array;
  /** The image's class in its set; null for a custom image. */
  label: number | null;
}

/** The visitor's images the worker holds, by key; the least recently used are forgotten. */
export class CustomImages {
  private readonly byKey: Lru<string, Float32Array>;

  constructor(
    private readonly model: Model,
    readonly capacity = 8,
  ) {
    this.byKey = new Lru(capacity);
  }

  /** Checks and keeps a copy of normalized CHW pixels; the key is a hash of them, so the same image gets the same key. */
  add(pixels: Float32Array): string {
    const { channels, height, width } = this.model.input;
    const per = channels * height * width;
    if (!(pixels instanceof Float32Array) || pixels.length !== per) {
      throw new RangeError(`a custom image must be ${channels}x${height}x${width} = ${per} normalized values, got ${pixels instanceof Float32Array ? pixels.length : typeof pixels}`);
    }
    let hash = 2166136261;
    const bits = new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.length);
    for (let i = 0; i < bits.length; i++) {
      if (!Number.isFinite(pixels[i])) throw new RangeError(`a custom image has a non-finite value at ${i}`);
      hash = Math.imul(hash ^ bits[i], 16777619) >>> 0;
    }
    const key = `custom:${hash.toString(16)}:${pixels.length}`;
    this.byKey.set(key, Float32Array.from(pixels));
    return key;
  }

  /** The pixels registered under a key; a clear error for a key never registered or already forgotten. */
  get(key: string): Float32Array {
    const pixels = typeof key === 'string' ? this.byKey.get(key) : undefined;
    if (!pixels) {
      throw new RangeError(
        `custom image "${String(key)}" is unknown: register it first (addImage); the worker keeps the last ${this.capacity} custom images of the loaded model`,
      );
    }
    return pixels;
  }
}

export function normalizedImage(model: Model, images: ImageSet | null, custom: CustomImages, ref: ImageRef): NormalizedImage {
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
  if (ref?.kind === 'custom') return { key: ref.key, pixels: custom.get(ref.key), label: null };
  throw new TypeError('an image is {kind: "set", index} or {kind: "custom", key} (a key from addImage)');
}
