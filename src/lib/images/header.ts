// An image file's pixel size read from its header, before anything decodes it: PNG (IHDR),
// JPEG (the SOF segment, walking the segments before it), GIF, WebP (VP8, VP8L, VP8X) and BMP.
// A picture too large to decode safely is refused here, by its declared size, in a few bytes.

import { MAX_IMAGE_SIDE, sniffImageType, type ImageKind } from './validate';

/** Most pixels a picture may declare (40 megapixels: a 160 MB RGBA bitmap once decoded). */
export const MAX_IMAGE_PIXELS = 40_000_000;
/** Bytes of a file read at first; a JPEG whose size comes later is read further, up to MAX_HEADER_SCAN. */
export const HEADER_BYTES = 64 * 1024;
export const MAX_HEADER_SCAN = 4 * 1024 * 1024;

export interface ImageHeader {
  kind: ImageKind;
  width: number;
  height: number;
}

/** The header, a short reason the file is refused ('not an image', 'broken PNG'), or how many leading bytes are needed. */
export type HeaderRead = { header: ImageHeader } | { problem: string } | { needBytes: number };

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u32le = (b: Uint8Array, i: number) => ((b[i + 3] << 24) >>> 0) + ((b[i + 2] << 16) | (b[i + 1] << 8) | b[i]);
const i32le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
const ascii = (b: Uint8Array, i: number, s: string) => [...s].every((c, k) => b[i + k] === c.charCodeAt(0));

/**
 * Reads the pixel size from the first bytes of a file. `fileSize` is the whole file's length:
 * when the bytes given are all there is, a header cut short is a broken file, not a need for more.
 */
export function readImageHeader(head: Uint8Array, fileSize = head.length): HeaderRead {
  if (fileSize === 0) return { problem: 'empty' };
  const kind = sniffImageType(head);
  if (!kind) return head.length < Math.min(fileSize, 14) ? { needBytes: 14 } : { problem: 'not an image' };
  const broken = { problem: `broken ${kind}` };
  /** The header needs `n` bytes: read more if the file has them, else it is cut short. */
  const need = (n: number): HeaderRead => (n <= fileSize ? { needBytes: n } : broken);
  const size = (width: number, height: number): HeaderRead =>
    width > 0 && height > 0 && Number.isFinite(width) && Number.isFinite(height) ? { header: { kind, width, height } } : broken;

  switch (kind) {
    case 'PNG':
      // signature (8), then the IHDR chunk: length 13, "IHDR", width and height (big-endian)
      if (head.length < 24) return need(24);
      if (u32be(head, 8) !== 13 || !ascii(head, 12, 'IHDR')) return broken;
      return size(u32be(head, 16), u32be(head, 20));
    case 'GIF':
      // "GIF89a", then the logical screen's width and height (little-endian)
      if (head.length < 10) return need(10);
      return size(u16le(head, 6), u16le(head, 8));
    case 'BMP': {
      // file header (14), then the DIB header: its size, then width and height (negative: top-down rows)
      if (head.length < 26) return need(26);
      const dib = u32le(head, 14);
      if (dib === 12) return size(u16le(head, 18), u16le(head, 20));
      if (dib < 40) return broken;
      return size(i32le(head, 18), Math.abs(i32le(head, 22)));
    }
    case 'WebP':
      return webpSize(head, need, size, broken);
    case 'JPEG':
      return jpegSize(head, need, size, broken);
  }
}

function webpSize(b: Uint8Array, need: (n: number) => HeaderRead, size: (w: number, h: number) => HeaderRead, broken: HeaderRead): HeaderRead {
  // "RIFF" size "WEBP", then the first chunk: its fourcc at 12, its data from 20
  if (b.length < 30) return need(30);
  if (ascii(b, 12, 'VP8 ')) {
    // a lossy key frame: 3 bytes of frame tag, the start code 9d 01 2a, 14-bit width and height
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return broken;
    return size(u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  if (ascii(b, 12, 'VP8L')) {
    // lossless: signature 0x2f, then width - 1 and height - 1 in 14 bits each
    if (b[20] !== 0x2f) return broken;
    const w = 1 + (b[21] | ((b[22] & 0x3f) << 8));
    const h = 1 + ((b[22] >> 6) | (b[23] << 2) | ((b[24] & 0x0f) << 10));
    return size(w, h);
  }
  // extended: flags (4 bytes), then canvas width - 1 and height - 1 in 24 bits each
  if (ascii(b, 12, 'VP8X')) return size(1 + u24le(b, 24), 1 + u24le(b, 27));
  return broken;
}

/** Start-of-frame markers: C0..CF except DHT (C4), JPG (C8) and DAC (CC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegSize(b: Uint8Array, need: (n: number) => HeaderRead, size: (w: number, h: number) => HeaderRead, broken: HeaderRead): HeaderRead {
  let pos = 2; // after SOI
  for (;;) {
    if (b.length < pos + 4) return need(pos + 4);
    if (b[pos] !== 0xff) return broken;
    if (b[pos + 1] === 0xff) {
      pos++; // fill byte
      continue;
    }
    const marker = b[pos + 1];
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      pos += 2; // markers without a length
      continue;
    }
    // the image data or its end before any frame header: there is no size to read
    if (marker === 0xda || marker === 0xd9 || marker === 0xd8 || marker === 0x00) return broken;
    const length = u16be(b, pos + 2);
    if (length < 2) return broken;
    if (isSof(marker)) {
      // length, precision (1), height and width (big-endian); a height of 0 (set later by DNL) is not read here
      if (length < 7) return broken;
      if (b.length < pos + 9) return need(pos + 9);
      return size(u16be(b, pos + 7), u16be(b, pos + 5));
    }
    pos += 2 + length;
  }
}

/** A declared size the page refuses to decode (null when fine), e.g. '20000×20000 px, over 8,192 px a side'. */
export function headerSizeProblem(header: ImageHeader): string | null {
  const { width, height } = header;
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) return `${width}×${height} px, over ${MAX_IMAGE_SIDE.toLocaleString('en-US')} px a side`;
  if (width * height > MAX_IMAGE_PIXELS) return `${width}×${height} px, over ${MAX_IMAGE_PIXELS / 1e6} megapixels`;
  return null;
}

/**
 * The header of a file (a Blob), reading only the bytes it needs: the first 64 KiB, more for a
 * JPEG with large metadata before its frame header, never more than MAX_HEADER_SCAN.
 */
export async function probeImageFile(file: Blob): Promise<HeaderRead> {
  let length = Math.min(file.size, HEADER_BYTES);
  for (;;) {
    const head = new Uint8Array(await file.slice(0, length).arrayBuffer());
    const read = readImageHeader(head, file.size);
    if (!('needBytes' in read)) return read;
    if (read.needBytes > MAX_HEADER_SCAN || length >= file.size) return { problem: 'no size in its header' };
    length = Math.min(file.size, MAX_HEADER_SCAN, Math.max(read.needBytes + HEADER_BYTES, 2 * length));
  }
}
