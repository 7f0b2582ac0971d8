// A stream of images to score or evaluate over, in batches: it hands out normalized
// NCHW floats for any range, so GPU memory never depends on the set's size.

import type { InputSpec } from '../model/types';
import { normalizePixels } from '../images/preprocess';

export interface ImageStream {
  /** Human-readable description, e.g. "class Sandal (50 images)". */
  label: string;
  count: number;
  /** Normalized NCHW values of images [start, start + n). */
  images(start: number, n: number): Float32Array;
  /** True class of each image (needed by the loss target). */
  labels?: ArrayLike<number>;
}

/** An image set over raw uint8 pixels [N, C, H, W] (an images.bin) and a list of indices. */
export function pixelImageStream(
  label: string,
  input: InputSpec,
  pixels: Uint8Array,
  indices: number[],
  allLabels?: ArrayLike<number>,
): ImageStream {
  const per = input.channels * input.height * input.width;
  return {
    label,
    count: indices.length,
    labels: allLabels ? indices.map((i) => allLabels[i]) : undefined,
    images(start, n) {
      const out = new Float32Array(n * per);
      for (let k = 0; k < n; k++) normalizePixels(pixels.subarray(indices[start + k] * per, (indices[start + k] + 1) * per), input, out, k * per);
      return out;
    },
  };
}

/** An image set over normalized floats already in memory. */
export function floatImageStream(label: string, per: number, data: Float32Array, labels?: ArrayLike<number>): ImageStream {
  return {
    label,
    count: data.length / per,
    labels,
    images: (start, n) => data.subarray(start * per, (start + n) * per),
  };
}
