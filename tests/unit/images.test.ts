// Tests of image decoding and preprocessing against values worked out by hand:
// normalization, luminance, exact area-average resizing, the image-set format and sampling.
import { describe, expect, it } from 'vitest';
import { imageToInput, normalizeBatch, prepareImage, normalizePixels, resizeArea, rgbaToPlanes } from '../../src/lib/images/preprocess';
import { IMAGE_SET_FORMAT, ImageSetFormatError, imagePixels, parseImageSet, samplesPerClass } from '../../src/lib/images/imageSet';
import { pixelsToRgba } from '../../src/lib/images/display';

const grey = (mean: number, std: number, height = 2, width = 2) => ({ channels: 1, height, width, mean: [mean], std: [std] });
const close = (actual: ArrayLike<number>, expected: number[], digits = 5) => {
  expect(actual.length).toBe(expected.length);
  expected.forEach((v, i) => expect(actual[i]).toBeCloseTo(v, digits));
};

describe('normalizePixels', () => {
  it('maps uint8 to (p/255 - mean) / std', () => {
    // p/255 = 0, 0.2, 0.4, 1; minus 0.5, over 0.25.
    close(normalizePixels(new Uint8Array([0, 51, 102, 255]), grey(0.5, 0.25)), [-2, -1.2, -0.4, 2]);
  });

  it('uses each channel its own mean and std', () => {
    const spec = { channels: 2, height: 1, width: 2, mean: [0, 1], std: [1, 0.5] };
    // channel 0: 255/255 = 1, 0 ; channel 1: (1 - 1)/0.5 = 0, (0 - 1)/0.5 = -2
    close(normalizePixels(new Uint8Array([255, 0, 255, 0]), spec), [1, 0, 0, -2]);
  });

  it('writes a batch image after image', () => {
    const out = normalizeBatch([new Uint8Array([255, 0, 0, 0]), new Uint8Array([0, 0, 0, 255])], grey(0, 1));
    close(out, [1, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('rejects a wrong pixel count and bad std', () => {
    expect(() => normalizePixels(new Uint8Array(3), grey(0, 1))).toThrow(/expected 4 pixels/);
    expect(() => normalizePixels(new Uint8Array(4), grey(0, 0))).toThrow(/std/);
  });
});

describe('rgbaToPlanes', () => {
  const rgba = new Uint8Array([
    255, 0, 0, 255, //  red
    0, 255, 0, 255, //  green
    0, 0, 255, 255, //  blue
    255, 255, 255, 128, // white, half transparent
  ]);

  it('takes Rec. 601 luminance for one channel, compositing alpha over black', () => {
    // 0.299*255, 0.587*255, 0.114*255, and 255 * 128/255 = 128.
    close(rgbaToPlanes({ data: rgba, width: 2, height: 2 }, 1), [76.245, 149.685, 29.07, 128], 3);
  });

  it('splits RGB into planes for three channels', () => {
    close(rgbaToPlanes({ data: rgba, width: 2, height: 2 }, 3), [255, 0, 0, 128, 0, 255, 0, 128, 0, 0, 255, 128], 3);
  });
});

describe('resizeArea', () => {
  it('averages a 2x2 image into one pixel', () => {
    close(resizeArea(new Float32Array([0, 255, 255, 0]), 1, 2, 2, 1, 1), [127.5]);
  });

  it('weights partly covered pixels by their overlap (3x3 -> 2x2)', () => {
    // v(y, x) = 3 * (3y + x). Output cell 0 covers source [0, 1.5): weights 2/3, 1/3,
    // so its mean coordinate is 1/3; cell 1 covers [1.5, 3): mean coordinate 5/3.
    // v is linear, so each output is v at the mean coordinates:
    // (1/3, 1/3) -> 4, (1/3, 5/3) -> 8, (5/3, 1/3) -> 16, (5/3, 5/3) -> 20.
    const src = new Float32Array([0, 3, 6, 9, 12, 15, 18, 21, 24]);
    close(resizeArea(src, 1, 3, 3, 2, 2), [4, 8, 16, 20]);
  });

  it('repeats pixels when enlarging and keeps channels apart', () => {
    close(resizeArea(new Float32Array([7, 9]), 2, 1, 1, 2, 2), [7, 7, 7, 7, 9, 9, 9, 9]);
  });

  it('handles a non-square shrink (2x4 -> 1x2)', () => {
    close(resizeArea(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), 1, 2, 4, 1, 2), [3.5, 5.5]);
  });
});

describe('imageToInput', () => {
  it('turns a 4x4 RGBA image into a normalized 2x2 grey input', () => {
    // Left half white, right half black; top-right block half white.
    const px = (v: number) => [v, v, v, 255];
    const rows = [
      [255, 255, 255, 0],
      [255, 255, 0, 255],
      [255, 255, 0, 0],
      [255, 255, 0, 0],
    ];
    const data = new Uint8ClampedArray(rows.flat().flatMap(px));
    // Block means: 255, 127.5, 255, 0 -> /255 -> 1, 0.5, 1, 0 -> (x - 0.5) / 0.5.
    close(imageToInput({ data, width: 4, height: 4 }, grey(0.5, 0.5)), [1, 0, 1, -1]);
  });

  it('normalizes RGB inputs per channel', () => {
    const data = new Uint8ClampedArray([255, 0, 51, 255]);
    const spec = { channels: 3, height: 1, width: 1, mean: [0, 0, 0.2], std: [1, 0.5, 0.1] };
    close(imageToInput({ data, width: 1, height: 1 }, spec), [1, 0, 0]);
  });

  it('prepareImage keeps the resized pixels for display beside the same normalized input', () => {
    const rows = [
      [255, 255, 255, 0],
      [255, 255, 0, 255],
      [255, 255, 0, 0],
      [255, 255, 0, 0],
    ];
    const image = { data: new Uint8ClampedArray(rows.flat().flatMap((v) => [v, v, v, 255])), width: 4, height: 4 };
    const prepared = prepareImage(image, grey(0.5, 0.5));
    // block means 255, 127.5, 255, 0, rounded; never the normalized values turned back
    expect(Array.from(prepared.pixels)).toEqual([255, 128, 255, 0]);
    close(prepared.input, [1, 0, 1, -1]);
    close(prepared.input, Array.from(imageToInput(image, grey(0.5, 0.5))));
  });
});

describe('image sets', () => {
  const json = {
    format: IMAGE_SET_FORMAT,
    count: 3,
    channels: 1,
    height: 1,
    width: 2,
    labels: [1, 0, 1],
    classes: ['a', 'b'],
    splits: { train: [0], test: { start: 1, end: 3 } },
  };
  const bin = new Uint8Array([1, 2, 3, 4, 5, 6]);

  it('parses the index and returns each image as a view', () => {
    const set = parseImageSet(json, bin.buffer);
    expect(set.splits).toEqual({ train: [0], test: [1, 2] });
    expect([...imagePixels(set, 2)]).toEqual([5, 6]);
    expect(() => imagePixels(set, 3)).toThrow(RangeError);
  });

  it('samples per class from the test split first', () => {
    const set = parseImageSet(json, bin);
    expect(samplesPerClass(set, 1)).toEqual([[1], [2]]);
    expect(samplesPerClass(set, 2, 'none')).toEqual([[1], [0, 2]]);
  });

  it('rejects broken files with a message naming the problem', () => {
    expect(() => parseImageSet({ ...json, format: 'x' }, bin)).toThrow(/format/);
    expect(() => parseImageSet({ ...json, labels: [0, 2, 1] }, bin)).toThrow(/label 1/);
    expect(() => parseImageSet(json, bin.subarray(0, 5))).toThrow(ImageSetFormatError);
    expect(() => parseImageSet({ ...json, splits: { test: [5] } }, bin)).toThrow(/split "test"/);
  });

  it('draws grey pixels as opaque RGBA', () => {
    expect([...pixelsToRgba([10, 200], 1, 1, 2)]).toEqual([10, 10, 10, 255, 200, 200, 200, 255]);
    expect([...pixelsToRgba([1, 2, 3], 3, 1, 1)]).toEqual([1, 2, 3, 255]);
  });
});
