// Reading a visitor's .zip of images without trusting it: the central directory is read first,
// and an archive that declares too many entries or too many uncompressed bytes is refused before
// anything is inflated (zip bombs). Each entry inflates on demand (fflate) into a buffer of its
// declared size, so an entry that lies about its size cannot grow past it, and its CRC-32 is checked.

import { inflateSync } from 'fflate';

/** Most entries an archive may list (files and folders). */
export const MAX_ZIP_ENTRIES = 20_000;
/** Most bytes its files may declare uncompressed, all together. */
export const MAX_ZIP_BYTES = 1024 * 1024 * 1024;
/** Largest single entry inflated (a larger one is skipped); an image file this big is refused anyway. */
export const MAX_ZIP_ENTRY_BYTES = 64 * 1024 * 1024;

export class ZipError extends Error {
  override name = 'ZipError';
}

export interface ZipLimits {
  maxEntries?: number;
  maxBytes?: number;
  maxEntryBytes?: number;
}

/** One file of the archive: its path inside it, its declared sizes, and its bytes on demand. */
export interface ZipEntry {
  path: string;
  size: number;
  compressedSize: number;
  /** Inflates the entry (throws ZipError when it is broken, encrypted or too large). */
  read(): Uint8Array;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

const fmt = (n: number) => n.toLocaleString('en-US');
const mib = (n: number) => `${fmt(Math.round(n / 2 ** 20))} MiB`;

/** Whether the bytes start like a zip archive (a local file header, or the end record of an empty one). */
export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5) && (head[3] === 4 || head[3] === 6);
}

/**
 * The files of an archive from its central directory (folders and macOS metadata left out).
 * Throws ZipError naming the archive when it is not a zip, is damaged, or exceeds the limits.
 */
export function readZip(bytes: Uint8Array, name = 'the archive', limits: ZipLimits = {}): ZipEntry[] {
  const maxEntries = limits.maxEntries ?? MAX_ZIP_ENTRIES;
  const maxBytes = limits.maxBytes ?? MAX_ZIP_BYTES;
  const maxEntryBytes = limits.maxEntryBytes ?? MAX_ZIP_ENTRY_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new ZipError(`"${name}" ${why}`);
  };
  const { count, cdOffset, cdSize } = endOfCentralDirectory(view, fail);
  if (count > maxEntries) fail(`lists ${fmt(count)} entries; archives of at most ${fmt(maxEntries)} are opened`);
  if (cdOffset + cdSize > bytes.length) fail('is damaged: its central directory lies outside the file');

  const entries: ZipEntry[] = [];
  let total = 0;
  let pos = cdOffset;
  const decoder = new TextDecoder();
  for (let k = 0; k < count; k++) {
    if (pos + 46 > bytes.length || view.getUint32(pos, true) !== SIG_CENTRAL) fail('is damaged: its central directory is cut short');
    const flags = view.getUint16(pos + 8, true);
    const method = view.getUint16(pos + 10, true);
    const crc = view.getUint32(pos + 16, true);
    let compressedSize = view.getUint32(pos + 20, true);
    let size = view.getUint32(pos + 24, true);
    const nameLength = view.getUint16(pos + 28, true);
    const extraLength = view.getUint16(pos + 30, true);
    const commentLength = view.getUint16(pos + 32, true);
    let localOffset = view.getUint32(pos + 42, true);
    const end = pos + 46 + nameLength + extraLength + commentLength;
    if (end > bytes.length) fail('is damaged: its central directory is cut short');
    const path = cleanPath(decoder.decode(bytes.subarray(pos + 46, pos + 46 + nameLength)));
    // ZIP64: sizes and offset saturated at 0xFFFFFFFF live in the extra field (id 1), in this order
    const extra = bytes.subarray(pos + 46 + nameLength, pos + 46 + nameLength + extraLength);
    const wide = zip64Fields(extra, [size === 0xffffffff, compressedSize === 0xffffffff, localOffset === 0xffffffff]);
    if (wide) [size, compressedSize, localOffset] = [wide[0] ?? size, wide[1] ?? compressedSize, wide[2] ?? localOffset];
    pos = end;
    const isFolder = path.endsWith('/') || path === '';
    if (isFolder) continue;
    total += size;
    if (total > maxBytes) fail(`declares more than ${mib(maxBytes)} of files uncompressed; archives of at most ${mib(maxBytes)} are opened`);
    if (isMetadata(path)) continue;
    entries.push({
      path,
      size,
      compressedSize,
      read: () => readEntry(bytes, view, { flags, method, crc, size, compressedSize, localOffset, maxEntryBytes }),
    });
  }
  return entries;
}

function endOfCentralDirectory(view: DataView, fail: (why: string) => never): { count: number; cdOffset: number; cdSize: number } {
  const n = view.byteLength;
  // the end record (22 bytes) is followed by a comment of at most 65,535 bytes
  let at = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 65535); i--) {
    if (view.getUint32(i, true) === SIG_EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) fail('is not a zip archive (no central directory)');
  let count = view.getUint16(at + 10, true);
  let cdSize = view.getUint32(at + 12, true);
  let cdOffset = view.getUint32(at + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = at - 20;
    if (loc < 0 || view.getUint32(loc, true) !== SIG_ZIP64_LOCATOR) fail('is damaged: its ZIP64 end record is missing');
    const rec = safeNumber(view.getBigUint64(loc + 8, true), fail);
    if (rec + 56 > n || view.getUint32(rec, true) !== SIG_ZIP64_EOCD) fail('is damaged: its ZIP64 end record is missing');
    count = safeNumber(view.getBigUint64(rec + 32, true), fail);
    cdSize = safeNumber(view.getBigUint64(rec + 40, true), fail);
    cdOffset = safeNumber(view.getBigUint64(rec + 48, true), fail);
  }
  return { count, cdOffset, cdSize };
}

function safeNumber(v: bigint, fail: (why: string) => never): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('declares sizes no file can have');
  return Number(v);
}

/** The 8-byte ZIP64 values of the fields marked as saturated, from extra field id 1; null when there are none. */
function zip64Fields(extra: Uint8Array, saturated: boolean[]): (number | undefined)[] | null {
  if (!saturated.some(Boolean)) return null;
  const v = new DataView(extra.buffer, extra.byteOffset, extra.byteLength);
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = v.getUint16(p, true);
    const len = v.getUint16(p + 2, true);
    if (id === 1) {
      const out: (number | undefined)[] = [];
      let q = p + 4;
      for (const s of saturated) {
        if (!s) {
          out.push(undefined);
          continue;
        }
        // a missing value stays saturated: 4 GiB is over every limit
        out.push(q + 8 <= p + 4 + len ? Math.min(Number(v.getBigUint64(q, true)), Number.MAX_SAFE_INTEGER) : 0xffffffff);
        q += 8;
      }
      return out;
    }
    p += 4 + len;
  }
  return null;
}

/** A path inside the archive with "/" separators and no empty, "." or ".." parts. */
function cleanPath(raw: string): string {
  const folder = /[\\/]$/.test(raw);
  const parts = raw.split(/[\\/]+/).filter((p) => p && p !== '.' && p !== '..');
  return parts.join('/') + (folder && parts.length ? '/' : '');
}

/** macOS resource forks and hidden files: not the visitor's pictures. */
function isMetadata(path: string): boolean {
  return path.split('/').some((p) => p === '__MACOSX' || p.startsWith('.'));
}

interface EntryInfo {
  flags: number;
  method: number;
  crc: number;
  size: number;
  compressedSize: number;
  localOffset: number;
  maxEntryBytes: number;
}

/** An entry's bytes; a ZipError's message is the short reason it cannot be read. */
function readEntry(bytes: Uint8Array, view: DataView, e: EntryInfo): Uint8Array {
  const fail = (why: string): never => {
    throw new ZipError(why);
  };
  if (e.flags & 1) fail('encrypted');
  if (e.size > e.maxEntryBytes) fail(`${mib(e.size)} uncompressed, over ${mib(e.maxEntryBytes)}`);
  if (e.method !== 0 && e.method !== 8) fail(`compressed with method ${e.method}, not deflate`);
  const at = e.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== SIG_LOCAL) fail('broken zip entry');
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + e.compressedSize > bytes.length) fail('broken zip entry (cut short)');
  const raw = bytes.subarray(start, start + e.compressedSize);
  let data: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.size) fail('broken zip entry');
    data = raw;
  } else {
    try {
      // into a buffer of the declared size: more data than declared is cut off, and the CRC then fails
      data = inflateSync(raw, { out: new Uint8Array(e.size) });
    } catch {
      return fail('broken zip entry (bad deflate data)');
    }
    if (data.length !== e.size) fail('broken zip entry (shorter than declared)');
  }
  if (crc32(data) !== e.crc) fail('broken zip entry (CRC mismatch)');
  return data;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE), as zip stores it. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
