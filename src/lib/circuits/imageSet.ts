// A set of images to score or evaluate over, streamed in batches: it hands out normalized
// NCHW floats for any range, so GPU memory never depends on the set's size.

import type { InputSpec } from '../model/types';

export interface ImageSet {
  /** Human-readable description, e.g. "class Sandal (50 images)". */
  label: string;
  count: number;
  /** Normalized NCHW values of images [start, start + n). */
  images(start: number, n: number): Float32Array;
  /** True class of each image (needed by the loss target). */
  labels?: ArrayLike<number>;
}

/** An image set over raw uint8 pixels [N, C, H, W] (an images.bin) and a list of indices. */
export function pixelImageSet(
  label: string,
  input: InputSpec,
  pixels: Uint8Array,
  indices: number[],
  allLabels?: ArrayLike<number>,
): ImageSet {
  const per = input.channels * input.height * input.width;
  const plane = input.height * input.width;
  return {
    label,
    count: indices.length,
    labels: allLabels ? indices.map((i) => allLabels[i]) : undefined,
    images(start, n) {
      const out = new Float32Array(n * per);
      for (let k = 0; k < n; k++) {
        const src = indices[start + k] * per;
        for (let t = 0; t < per; t++) {
          const c = Math.floor(t / plane);
          out[k * per + t] = (pixels[src + t] / 255 - input.mean[c]) / input.std[c];
        }
      }
      return out;
    },
  };
}

/** An image set over normalized floats already in memory. */
export function floatImageSet(label: string, per: number, data: Float32Array, labels?: ArrayLike<number>): ImageSet {
  return {
    label,
    count: data.length / per,
    labels,
    images: (start, n) => data.subarray(start * per, (start + n) * per),
  };
}
