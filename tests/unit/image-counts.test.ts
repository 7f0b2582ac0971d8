// Capped image counts of a circuit query: at most N images, evenly spread through the set (so
// a class-sorted split still gives every class), and caps that are not whole numbers refused.

import { describe, it, expect } from 'vitest';
import { checkImageLimits, limitImages } from '../../src/lib/worker/view/imageCounts';

describe('image caps', () => {
  it('picks every (n/N)-th image, in order; no cap or a large one keeps all', () => {
    const indices = Array.from({ length: 10 }, (_, i) => 100 + i);
    expect(limitImages(indices, 5)).toEqual([100, 102, 104, 106, 108]);
    expect(limitImages(indices, 4)).toEqual([100, 102, 105, 107]);
    expect(limitImages(indices, 1)).toEqual([100]);
    expect(limitImages(indices, 10)).toBe(indices);
    expect(limitImages(indices, 99)).toBe(indices);
    expect(limitImages(indices, undefined)).toBe(indices);
    // 500 images sorted by class (50 each): 10 of them are one per class.
    const labels = Array.from({ length: 500 }, (_, i) => Math.floor(i / 50));
    expect(limitImages(labels.map((_, i) => i), 10).map((i) => labels[i])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('refuses caps that are not whole numbers of at least 1', () => {
    expect(() => checkImageLimits({})).not.toThrow();
    expect(() => checkImageLimits({ scoringImages: 8, evaluationImages: 1 })).not.toThrow();
    for (const bad of [0, -1, 2.5, NaN, Infinity]) {
      expect(() => checkImageLimits({ scoringImages: bad })).toThrow(/^scoringImages .*whole number/);
      expect(() => checkImageLimits({ evaluationImages: bad })).toThrow(/^evaluationImages .*whole number/);
    }
  });
});
