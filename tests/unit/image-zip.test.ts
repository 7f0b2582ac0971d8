// The zip reader against archives fflate's writer makes (deflated and stored, in folders), and
// crafted ones: an archive declaring huge uncompressed sizes or too many entries is refused from
// its central directory before anything is inflated; a real deflate bomb by its declared size;
// an entry that lies about its size stays within it and fails its CRC; ZIP64 saturated sizes.
import { describe, expect, it } from 'vitest';
import { zipSync, strToU8 } from 'fflate';
import { crc32, looksLikeZip, readZip, ZipError } from '../../src/lib/images/zip';

const CENTRAL = 0x02014b50;

/** Offsets of every central directory record in an archive. */
function centralRecords(zip: Uint8Array): number[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) if (v.getUint32(i, true) === CENTRAL) out.push(i);
  return out;
}

/** Writes a 32-bit field into a copy of the archive: at each central record, `offset` bytes in. */
function patchCentral(zip: Uint8Array, offset: number, value: number, which = (_: number) => true): Uint8Array {
  const copy = zip.slice();
  const v = new DataView(copy.buffer);
  centralRecords(copy).forEach((at, k) => which(k) && v.setUint32(at + offset, value, true));
  return copy;
}

const SIZE = 24; // uncompressed size in a central record
const COMPRESSED = 20;

describe('zip archives', () => {
  const files = {
    'pets/dog/a.png': strToU8('dog a '.repeat(200)),
    'pets/dog/b.png': strToU8('dog b'),
    'pets/cat/c.png': new Uint8Array(3000).map((_, i) => (i * 7) & 255),
    'pets/readme.txt': strToU8('hello'),
  };

  it('lists the files (folders and macOS metadata left out) and reads each one, deflated or stored', () => {
    for (const level of [0, 6] as const) {
      const zip = zipSync({ ...files, '__MACOSX/pets/._a.png': strToU8('x'), 'pets/.DS_Store': strToU8('y'), 'pets/empty/': new Uint8Array(0) }, { level });
      expect(looksLikeZip(zip)).toBe(true);
      const entries = readZip(zip, 'pets.zip');
      expect(entries.map((e) => e.path).sort()).toEqual(Object.keys(files).sort());
      for (const e of entries) {
        const want = files[e.path as keyof typeof files];
        expect(e.size).toBe(want.length);
        expect(Buffer.from(e.read()).equals(Buffer.from(want))).toBe(true);
      }
    }
  });

  it('refuses an archive declaring more uncompressed bytes than the cap before inflating anything', () => {
    const zip = zipSync(files, { level: 6 });
    // every entry now claims 300 MiB, and its data is garbage that would fail if it were inflated
    let crafted = patchCentral(zip, SIZE, 300 * 2 ** 20);
    crafted = crafted.map((b, i) => (i > 30 && i < 200 ? 0xff : b));
    expect(() => readZip(crafted, 'bomb.zip')).toThrow(ZipError);
    expect(() => readZip(crafted, 'bomb.zip')).toThrow('"bomb.zip" declares more than 1,024 MiB of files uncompressed; archives of at most 1,024 MiB are opened');
    // under the cap, the same archive lists fine (nothing was inflated to find out)
    expect(readZip(patchCentral(zip, SIZE, 1000), 'ok.zip')).toHaveLength(4);
  });

  it('refuses an archive listing too many entries from its end record alone', () => {
    const zip = zipSync(files);
    const copy = zip.slice();
    const v = new DataView(copy.buffer);
    const eocd = copy.length - 22;
    v.setUint16(eocd + 8, 60000, true);
    v.setUint16(eocd + 10, 60000, true);
    expect(() => readZip(copy, 'many.zip')).toThrow('"many.zip" lists 60,000 entries; archives of at most 20,000 are opened');
    expect(() => readZip(zip, 'small.zip', { maxEntries: 3 })).toThrow('lists 4 entries');
  });

  it('a real deflate bomb (80 MB of zeros in about 80 kB) is refused by its declared size', () => {
    const zeros = new Uint8Array(80_000_000);
    const bomb = zipSync({ 'zeros.png': zeros }, { level: 9 });
    expect(bomb.length).toBeLessThan(200_000);
    expect(() => readZip(bomb, 'bomb.zip', { maxBytes: 50 * 2 ** 20 })).toThrow('declares more than 50 MiB');
    // allowed as an archive, the entry is still over the per-entry limit and is not inflated
    const [entry] = readZip(bomb, 'bomb.zip');
    expect(() => entry.read()).toThrow('76 MiB uncompressed, over 64 MiB');
  });

  it('an entry that inflates to more than it declares is cut at its declared size and fails its CRC', () => {
    const zip = zipSync({ 'a.png': new Uint8Array(100_000).fill(7) }, { level: 6 });
    const lying = patchCentral(zip, SIZE, 10);
    const [entry] = readZip(lying, 'lying.zip');
    expect(entry.size).toBe(10);
    expect(() => entry.read()).toThrow(/broken zip entry/);
    // and a damaged CRC is caught too
    const badCrc = patchCentral(zip, 16, 12345);
    expect(() => readZip(badCrc)[0].read()).toThrow('broken zip entry (CRC mismatch)');
  });

  it('a saturated ZIP64 size without its extra field counts as 4 GiB: refused', () => {
    const zip = zipSync(files);
    expect(() => readZip(patchCentral(zip, SIZE, 0xffffffff, (k) => k === 0), 'z64.zip')).toThrow('declares more than 1,024 MiB');
    expect(() => readZip(patchCentral(zip, COMPRESSED, 0xffffffff, (k) => k === 0), 'z64.zip')[0].read()).toThrow(/broken zip entry|uncompressed/);
  });

  it('says what is wrong with what is not a zip or is cut short', () => {
    expect(() => readZip(strToU8('just text, no archive here'), 'notes.zip')).toThrow('"notes.zip" is not a zip archive (no central directory)');
    const zip = zipSync(files);
    const eocd = zip.length - 22;
    const cut = new Uint8Array([...zip.subarray(0, 40), ...zip.subarray(eocd)]);
    expect(() => readZip(cut, 'cut.zip')).toThrow(/"cut\.zip" is damaged/);
    expect(crc32(strToU8('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
});
