// Checks on images a visitor brings, before and after decoding: the accepted formats (by
// their first bytes, whatever the name says), empty and oversized files and pictures, and the
// size a large picture is reduced to; every message names the file.

export const ACCEPTED_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/bmp'] as const;
/** For an <input type="file" accept>. */
export const ACCEPT_ATTRIBUTE = [...ACCEPTED_TYPES, '.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp'].join(',');
/** Longest side accepted, in pixels. */
export const MAX_IMAGE_SIDE = 8192;
/** Largest file accepted, in bytes. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export type ImageKind = 'PNG' | 'JPEG' | 'WebP' | 'GIF' | 'BMP';
const KINDS = 'PNG, JPEG, WebP, GIF or BMP';

/** The image format of a file from its first bytes (at least 12), or null when it is none of the accepted ones. */
export function sniffImageType(head: Uint8Array): ImageKind | null {
  const at = (i: number, bytes: number[]) => bytes.every((b, k) => head[i + k] === b);
  const ascii = (i: number, s: string) => at(i, [...s].map((c) => c.charCodeAt(0)));
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (at(0, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'GIF';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'WebP';
  if (ascii(0, 'BM') && head.length >= 14) return 'BMP';
  return null;
}

/** What a file claims to be, for messages: its MIME type, else its extension. */
function claimed(name: string, type: string): string {
  if (type) return type;
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1];
  return ext ? `.${ext.toLowerCase()} file` : 'file without a type';
}

/**
 * Problems of a file before decoding (null when it looks like an accepted image): empty, too
 * large, or contents that are none of the accepted formats.
 */
export function checkImageFile(file: { name: string; size: number; type: string }, head: Uint8Array): string | null {
  const name = `"${file.name || 'the file'}"`;
  if (file.size === 0) return `${name} is empty (0 bytes).`;
  if (file.size > MAX_IMAGE_BYTES) return `${name} is ${(file.size / 2 ** 20).toFixed(0)} MiB; files up to ${MAX_IMAGE_BYTES / 2 ** 20} MiB are accepted.`;
  if (sniffImageType(head)) return null;
  const what = claimed(file.name, file.type);
  if (/svg/i.test(what)) return `${name} is an SVG drawing; use a ${KINDS} image.`;
  return `${name} is not an image this page reads (${what}); use ${KINDS}.`;
}

/** Problems of a decoded picture's size (null when fine). */
export function checkImageSize(name: string, width: number, height: number): string | null {
  const n = `"${name || 'the image'}"`;
  if (!(width > 0 && height > 0)) return `${n} has no pixels (${width}×${height}).`;
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) return `${n} is ${width}×${height} px; images up to ${MAX_IMAGE_SIDE} px a side are accepted.`;
  return null;
}

/** Size of a picture reduced to fit inside maxSide x maxSide with its aspect kept (never enlarged). */
export function fitInside(width: number, height: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}
