// A minimal PNG encoder for the end-to-end scripts (8-bit grey or RGB, no filter), so a test can
// hand the page its own image files; and a PNG that only declares a size (its rows left out).
import { deflateSync } from 'node:zlib';

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc(body), 8 + data.length);
  return out;
};

/** A PNG file from its IHDR fields (8-bit samples, `colour` type) and raw, filtered scanlines. */
export function pngFile(width, height, colour, raw) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colour;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** width x height pixels, `channels` (1 or 3) values each, row-major, as a PNG file; `rows` of them stored (all by default). */
export function encodePng(width, height, channels, pixels, rows = height) {
  const raw = Buffer.alloc(rows * (1 + width * channels));
  for (let y = 0; y < rows; y++) Buffer.from(pixels.subarray(y * width * channels, (y + 1) * width * channels)).copy(raw, y * (1 + width * channels) + 1);
  return pngFile(width, height, channels === 1 ? 0 : 2, raw);
}

/** An RGB picture whose pixel (x, y) is colour(x, y) = [r, g, b]. */
export function rgbPng(width, height, colour) {
  const px = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px.set(colour(x, y), 3 * (y * width + x));
  return encodePng(width, height, 3, px);
}
