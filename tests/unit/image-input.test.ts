// Image input logic against values worked out by hand: format sniffing from real file headers,
// messages naming the file (empty, oversized, not an image, SVG), size limits, MNIST-style
// centring of a drawing (20 px box, centre of mass at the centre), squaring and dark backgrounds.
import { describe, expect, it } from 'vitest';
import { checkImageFile, checkImageSize, fitInside, MAX_IMAGE_SIDE, sniffImageType } from '../../src/lib/images/validate';
import { centerDigit, centreOfMass, inkBounds } from '../../src/lib/images/digit';
import { imageToInput } from '../../src/lib/images/preprocess';
import { borderLuminance, darkBackground, toSquare } from '../../src/lib/images/fit';

const bytes = (...parts: (number[] | string)[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
const HEADS = {
  PNG: bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR'),
  JPEG: bytes([0xff, 0xd8, 0xff, 0xe0, 0, 16], 'JFIF', [0, 1]),
  GIF: bytes('GIF89a', [1, 0, 1, 0, 0x80, 0, 0, 0]),
  WebP: bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '),
  BMP: bytes('BM', [0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0]),
};

/** A black width x height RGBA canvas with white rectangles [y0, x0, y1, x1) painted on it. */
function drawing(width: number, height: number, rects: [number, number, number, number][]) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data[4 * i + 3] = 255;
  for (const [y0, x0, y1, x1] of rects)
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.fill(255, 4 * (y * width + x), 4 * (y * width + x) + 3);
  return { data, width, height };
}
const greyOf = (img: { data: Uint8ClampedArray; width: number; height: number }) => Float32Array.from({ length: img.width * img.height }, (_, i) => img.data[4 * i]);

describe('image files', () => {
  it('recognizes the accepted formats by their first bytes, whatever the name', () => {
    for (const [kind, head] of Object.entries(HEADS)) expect(sniffImageType(head)).toBe(kind);
    expect(sniffImageType(bytes('<svg xmlns="http://www.w3.org/2000/svg">'))).toBeNull();
    expect(sniffImageType(bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt '))).toBeNull();
    expect(sniffImageType(new Uint8Array(0))).toBeNull();
    expect(checkImageFile({ name: 'photo.txt', size: 500, type: 'text/plain' }, HEADS.JPEG)).toBeNull();
  });

  it('names the file in every message: empty, too large, not an image, SVG', () => {
    expect(checkImageFile({ name: 'empty.png', size: 0, type: 'image/png' }, new Uint8Array(0))).toBe('"empty.png" is empty (0 bytes).');
    expect(checkImageFile({ name: 'big.png', size: 100 * 2 ** 20, type: 'image/png' }, HEADS.PNG)).toMatch(/^"big\.png" is 100 MiB; files up to 64 MiB/);
    expect(checkImageFile({ name: 'notes.txt', size: 12, type: 'text/plain' }, bytes('hello world!'))).toBe('"notes.txt" is not an image this page reads (text/plain); use PNG, JPEG, WebP, GIF or BMP.');
    expect(checkImageFile({ name: 'fake.png', size: 12, type: '' }, bytes('hello world!'))).toMatch(/^"fake\.png" is not an image .*\(\.png file\)/);
    expect(checkImageFile({ name: 'logo.svg', size: 90, type: 'image/svg+xml' }, bytes('<svg>'))).toMatch(/^"logo\.svg" is an SVG drawing/);
    expect(checkImageFile({ name: 'scan.tiff', size: 90, type: 'image/tiff' }, bytes('II*', [0]))).toMatch(/^"scan\.tiff" is not an image .*image\/tiff/);
  });

  it('rejects pictures without pixels or over the side limit, naming size and file', () => {
    expect(checkImageSize('a.png', 28, 28)).toBeNull();
    expect(checkImageSize('a.png', MAX_IMAGE_SIDE, 1)).toBeNull();
    expect(checkImageSize('zero.gif', 0, 10)).toBe('"zero.gif" has no pixels (0×10).');
    expect(checkImageSize('huge.jpg', 9000, 300)).toBe('"huge.jpg" is 9000×300 px; images up to 8192 px a side are accepted.');
  });

  it('fitInside shrinks with the aspect kept and never enlarges', () => {
    expect(fitInside(4000, 3000, 1000)).toEqual({ width: 1000, height: 750 });
    expect(fitInside(20, 10, 1000)).toEqual({ width: 20, height: 10 });
    expect(fitInside(5000, 1, 100)).toEqual({ width: 100, height: 1 });
  });
});

describe('centerDigit (MNIST-style)', () => {
  it('scales the ink box to 20 px on its longer side and centres its mass (a bar worked out by hand)', () => {
    // a 60 x 120 (w x h) white bar anywhere on a 280 x 280 pad -> 10 x 20 at rows 4..23, columns 9..18
    const out = centerDigit(drawing(280, 280, [[30, 200, 150, 260]]));
    expect([out.width, out.height]).toEqual([28, 28]);
    const g = greyOf(out);
    expect(inkBounds(g, 28, 28, 0)).toEqual({ y0: 4, x0: 9, y1: 23, x1: 18 });
    for (let y = 4; y <= 23; y++) for (let x = 9; x <= 18; x++) expect(g[y * 28 + x]).toBe(255);
    expect(g.reduce((a, b) => a + b, 0)).toBe(200 * 255);
    for (let i = 0; i < 28 * 28; i++) expect(out.data[4 * i + 3]).toBe(255);
  });

  it('puts the centre of mass of an uneven shape within half a pixel of the field centre', () => {
    // an L: a tall bar and a heavy foot, so the mass is off the box centre
    const out = centerDigit(drawing(280, 280, [[40, 40, 240, 80], [180, 40, 240, 200]]));
    const g = greyOf(out);
    const c = centreOfMass(g, 28, 28)!;
    expect(Math.abs(c.y - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(c.x - 13.5)).toBeLessThanOrEqual(0.5);
    const b = inkBounds(g, 28, 28, 0)!;
    expect(Math.max(b.y1 - b.y0 + 1, b.x1 - b.x0 + 1)).toBe(20);
  });

  it('enlarges a small drawing, and gives a black field for an empty pad', () => {
    const small = greyOf(centerDigit(drawing(100, 100, [[10, 10, 15, 12]])));
    const b = inkBounds(small, 28, 28, 0)!;
    expect([b.y1 - b.y0 + 1, b.x1 - b.x0 + 1]).toEqual([20, 8]);
    expect(greyOf(centerDigit(drawing(50, 40, []))).every((v) => v === 0)).toBe(true);
  });

  it('feeds the model input unchanged in size (28x28 in, 28x28 out)', () => {
    const digit = centerDigit(drawing(280, 280, [[30, 200, 150, 260]]));
    const input = imageToInput(digit, { channels: 1, height: 28, width: 28, mean: [0], std: [1] });
    expect(input[13 * 28 + 13]).toBeCloseTo(1, 6);
    expect(input[0]).toBe(0);
  });

  it('rejects a box larger than the field', () => {
    expect(() => centerDigit(drawing(10, 10, []), { size: 28, box: 30 })).toThrow(/box 30/);
  });
});

describe('fitting uploads to the training images', () => {
  // a w x h image whose pixel (x, y) has R = x, G = y, B = 7, opaque
  const ramp = (w: number, h: number) => {
    const data = new Uint8ClampedArray(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7, 255], 4 * (y * w + x));
    return { data, width: w, height: h };
  };
  const px = (img: { data: Uint8ClampedArray; width: number }, x: number, y: number) => Array.from(img.data.subarray(4 * (y * img.width + x), 4 * (y * img.width + x) + 4));

  it('pads to a square of the longer side with the picture centred', () => {
    const sq = toSquare(ramp(6, 3), 'pad');
    expect([sq.width, sq.height]).toEqual([6, 6]);
    // (6 - 3) / 2 = 1.5 -> one row of fill above, two below
    expect(px(sq, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(px(sq, 4, 1)).toEqual([4, 0, 7, 255]);
    expect(px(sq, 5, 3)).toEqual([5, 2, 7, 255]);
    expect(px(sq, 2, 4)).toEqual([0, 0, 0, 255]);
    const tall = toSquare(ramp(2, 5), 'pad', [255, 255, 255, 255]);
    expect(px(tall, 0, 0)).toEqual([255, 255, 255, 255]);
    expect(px(tall, 1, 2)).toEqual([0, 2, 7, 255]);
  });

  it('centre-crops to a square of the shorter side', () => {
    const sq = toSquare(ramp(7, 3), 'crop');
    expect([sq.width, sq.height]).toEqual([3, 3]);
    // (7 - 3) / 2 = 2: columns 2..4
    expect(px(sq, 0, 0)).toEqual([2, 0, 7, 255]);
    expect(px(sq, 2, 2)).toEqual([4, 2, 7, 255]);
    const tall = toSquare(ramp(2, 6), 'crop');
    expect(px(tall, 0, 0)).toEqual([0, 2, 7, 255]);
    expect(px(tall, 1, 1)).toEqual([1, 3, 7, 255]);
  });

  it('inverts a picture on a light background, and leaves a dark one alone', () => {
    const light = drawing(4, 4, [[0, 0, 4, 4]]); // all white
    light.data.set([10, 20, 30, 255], 4 * 5); // one dark inner pixel
    const { image, inverted } = darkBackground(light);
    expect(inverted).toBe(true);
    expect(Array.from(image.data.subarray(0, 4))).toEqual([0, 0, 0, 255]);
    expect(Array.from(image.data.subarray(20, 24))).toEqual([245, 235, 225, 255]);
    const dark = drawing(4, 4, [[1, 1, 3, 3]]);
    expect(darkBackground(dark)).toEqual({ image: dark, inverted: false });
    expect(borderLuminance(dark)).toBe(0);
    // fully transparent pixels count as black on the border and come out black
    const clear = { data: new Uint8ClampedArray(16 * 4), width: 4, height: 4 };
    expect(darkBackground(clear).inverted).toBe(false);
  });
});
