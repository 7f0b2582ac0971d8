// The visitor's folders, files and zips as an image set, in Node with File objects and an
// injected decoder: classes from subfolders (sorted; files in the root are "images"), image
// order and pixels, both splits, odd files skipped and named in one warning (a 20000x20000 PNG
// never reaches the decoder), the 5,000-image cap spread over classes, a folder walked
// iteratively in readEntries batches, a .zip, progress and cancel.
import { describe, expect, it, vi } from 'vitest';
import { deflateSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { importImages, type DecodeFn } from '../../src/lib/images/folder';
import { classesOf, gatherFiles, balancedSubset, className } from '../../src/lib/images/sources';
import { ImageInputError } from '../../src/lib/images/decode';
import { crc32 } from '../../src/lib/images/zip';

/** A real PNG file (8-bit grey, width x height, every byte `value`). */
function png(width: number, height: number, value = 0, rows = height): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Uint8Array([...Buffer.from(type, 'ascii'), ...data]);
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(body, 4);
    v.setUint32(8 + data.length, crc32(body));
    return out;
  };
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr[8] = 8;
  const raw = new Uint8Array(rows * (width + 1));
  for (let y = 0; y < rows; y++) raw.fill(value, y * (width + 1) + 1, (y + 1) * (width + 1));
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  return new Uint8Array([...sig, ...chunk('IHDR', ihdr), ...chunk('IDAT', new Uint8Array(deflateSync(raw))), ...chunk('IEND', new Uint8Array(0))]);
}

/** A File as a folder picker gives it: its path inside the picked folder in webkitRelativePath. */
function picked(path: string, bytes: Uint8Array | string): File {
  const file = new File([bytes as BlobPart], path.split('/').pop()!);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

const INPUT = { channels: 3, height: 4, width: 5 };
const PER = 3 * 4 * 5;
/** The injected decoder: every value of the image is the width its header declared. */
const byWidth: DecodeFn = async (_blob, header, to) => new Uint8Array(to.channels * to.height * to.width).fill(header.width);

describe('classes from paths', () => {
  it('the shared folders are what was given; the next folder is the class; files in it are "images"', () => {
    expect(classesOf(['pets/dog/a.png', 'pets/cat/b.png', 'pets/c.png', 'pets/dog/puppies/d.png'])).toEqual({ classes: ['cat', 'dog', 'images'], labels: [1, 0, 2, 1] });
    expect(classesOf(['a.png', 'b.png'])).toEqual({ classes: ['images'], labels: [0, 0] });
    expect(classesOf(['dog/a.png', 'cat/b.png'])).toEqual({ classes: ['cat', 'dog'], labels: [1, 0] });
    // numbers in names sort as numbers; names differing only in case are one class
    expect(classesOf(['x/img10/a.png', 'x/img9/a.png', 'x/Img9/b.png']).classes).toEqual(['img9', 'img10']);
    expect(className('my "best" dogs?')).toBe('my _best_ dogs_');
    expect(className('All')).toBe('all_');
  });

  it('a capped subset takes every class in turn and keeps the original order', () => {
    const items = [...Array(10).fill(0), 1, 1, 2].map((c, i) => ({ c, i }));
    const kept = balancedSubset(items, (x) => x.c, 6);
    expect(kept.map((x) => x.i)).toEqual([0, 1, 2, 10, 11, 12]);
  });
});

describe('importImages', () => {
  it('a picked folder: classes by subfolder, images in class order, both splits, odd files named in one warning', async () => {
    const decode = vi.fn(byWidth);
    const files = [
      picked('pets/dog/b.png', png(12, 3)),
      picked('pets/dog/a.png', png(11, 3)),
      picked('pets/cat/c.png', png(13, 3)),
      picked('pets/cat/notes.txt', 'not a picture'),
      picked('pets/cat/bad.png', png(14, 3).subarray(0, 20)),
      picked('pets/huge.png', png(20000, 20000, 0, 1)),
      picked('pets/empty.png', new Uint8Array(0)),
      picked('pets/root.png', png(15, 3)),
    ];
    const progress: string[] = [];
    const set = await importImages(files, INPUT, { decode, onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`) });
    expect(set.classes).toEqual(['cat', 'dog', 'images']);
    expect(set.labels).toEqual([0, 1, 1, 2]);
    expect([set.count, set.channels, set.height, set.width]).toEqual([4, 3, 4, 5]);
    expect(set.splits).toEqual({ scoring: [0, 1, 2, 3], evaluation: [0, 1, 2, 3] });
    // cat/c (13), dog/a (11), dog/b (12), root (15): each image's pixels in its place
    expect([0, 1, 2, 3].map((i) => set.pixels[i * PER])).toEqual([13, 11, 12, 15]);
    expect(set.pixels.length).toBe(4 * PER);
    expect(set.warnings).toEqual([
      '4 files skipped: pets/cat/bad.png (broken PNG), pets/cat/notes.txt (not an image), pets/empty.png (empty), pets/huge.png (20000×20000 px, over 8,192 px a side)',
    ]);
    // the huge picture was refused from its header: the decoder never saw it
    expect(decode.mock.calls.map((c) => c[1].width).sort()).toEqual([11, 12, 13, 15]);
    expect(progress).toContain('Reading image headers 8/8');
    expect(progress.at(-1)).toBe('Decoding images 4/4');
  });

  it('plain files are one class, "images"; a file the decoder cannot read is skipped as broken', async () => {
    const decode: DecodeFn = async (blob, header, to) => {
      if (header.width === 21) throw new Error('decoder failed');
      return byWidth(blob, header, to);
    };
    const set = await importImages([new File([png(20, 2) as BlobPart], 'a.png'), new File([png(21, 2) as BlobPart], 'b.png')], { channels: 1, height: 2, width: 2 }, { decode });
    expect(set.classes).toEqual(['images']);
    expect(set.count).toBe(1);
    expect(set.warnings).toEqual(['1 file skipped: b.png (broken PNG)']);
  });

  it('a class whose every picture is broken is gone, and the others keep their folder names', async () => {
    const decode: DecodeFn = async (blob, header, to) => {
      if (header.width === 13) throw new Error('decoder failed');
      return byWidth(blob, header, to);
    };
    const set = await importImages([picked('pets/dog/a.png', png(11, 2)), picked('pets/cat/b.png', png(13, 2))], INPUT, { decode });
    expect(set.classes).toEqual(['dog']);
    expect(set.warnings).toEqual(['1 file skipped: pets/cat/b.png (broken PNG)']);
  });

  it('a .zip: its folders are the classes; a zip bomb is refused and named', async () => {
    const zip = zipSync({ 'dog/a.png': png(11, 2), 'dog/b.png': png(12, 2), 'cat/c.png': png(13, 2), 'cat/d.txt': new Uint8Array([1, 2, 3]) });
    const set = await importImages([new File([zip as BlobPart], 'pets.zip')], INPUT, { decode: byWidth });
    expect(set.classes).toEqual(['cat', 'dog']);
    expect(set.labels).toEqual([0, 1, 1]);
    expect(set.warnings).toEqual(['1 file skipped: pets/cat/d.txt (not an image)']);
    // the same archive claiming 2 GiB per entry: nothing is inflated, and with nothing else given the import fails naming it
    const bomb = zip.slice();
    const v = new DataView(bomb.buffer);
    for (let i = 0; i + 4 <= bomb.length; i++) if (v.getUint32(i, true) === 0x02014b50) v.setUint32(i + 24, 2 ** 31, true);
    await expect(importImages([new File([bomb as BlobPart], 'bomb.zip')], INPUT, { decode: byWidth })).rejects.toThrow(
      /No usable image was found.*bomb\.zip \(declares more than 1,024 MiB of files uncompressed/,
    );
  });

  it('at most maxImages, taken evenly from every class, and says so', async () => {
    const files = [
      ...Array.from({ length: 30 }, (_, i) => picked(`set/dog/${i}.png`, png(10 + (i % 5), 2))),
      ...Array.from({ length: 3 }, (_, i) => picked(`set/cat/${i}.png`, png(20, 2))),
    ];
    const set = await importImages(files, INPUT, { decode: byWidth, maxImages: 10 });
    expect(set.count).toBe(10);
    expect(set.labels.filter((l) => l === 0)).toHaveLength(3); // every cat kept
    expect(set.warnings).toEqual(['33 images were given; 10 are used (at most 10, taken evenly from every class).']);
  });

  it('cancels between batches', async () => {
    const controller = new AbortController();
    const decode = vi.fn(async (blob: Blob, header: Parameters<DecodeFn>[1], to: Parameters<DecodeFn>[2]) => {
      controller.abort(new Error('cancelled by the visitor'));
      return byWidth(blob, header, to);
    });
    const files = Array.from({ length: 40 }, (_, i) => picked(`f/${i}.png`, png(10, 2)));
    await expect(importImages(files, INPUT, { decode, signal: controller.signal })).rejects.toThrow('cancelled by the visitor');
    expect(decode.mock.calls.length).toBeLessThanOrEqual(8);
  });

  it('nothing usable: one error listing what was skipped', async () => {
    const err = await importImages([new File(['hello'], 'a.txt'), new File(['<svg/>'], 'b.svg')], INPUT, { decode: byWidth }).catch((e) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect(err.message).toBe('No usable image was found (PNG, JPEG, WebP, GIF or BMP). 2 files skipped: a.txt (not an image), b.svg (not an image).');
    await expect(importImages([], INPUT, { decode: byWidth })).rejects.toThrow('No files were found');
  });
});

describe('a dropped folder', () => {
  /** Fake FileSystemEntry objects over a {name: bytes | folder} tree; readEntries gives two at a time. */
  function entry(name: string, node: unknown, parent = ''): FileSystemEntry {
    const fullPath = `${parent}/${name}`;
    if (node instanceof Uint8Array) {
      return { name, fullPath, isFile: true, isDirectory: false, file: (ok: (f: File) => void) => ok(new File([node as BlobPart], name)) } as unknown as FileSystemEntry;
    }
    return {
      name, fullPath, isFile: false, isDirectory: true,
      createReader: () => {
        const children = Object.entries(node as Record<string, unknown>).map(([n, c]) => entry(n, c, fullPath));
        let at = 0;
        return { readEntries: (ok: (e: FileSystemEntry[]) => void) => queueMicrotask(() => ok(children.slice(at, (at += 2)))) };
      },
    } as unknown as FileSystemEntry;
  }

  it('is walked without recursion, every readEntries batch taken, hidden files left out', async () => {
    const tree = { dog: { 'a.png': png(11, 2), 'b.png': png(12, 2), 'c.png': png(13, 2), '.DS_Store': new Uint8Array([1]) }, cat: { 'd.png': png(14, 2) } };
    // a folder 3,000 levels deep: a stack, not recursion
    let deep: Record<string, unknown> = { 'deep.png': png(15, 2) };
    for (let i = 0; i < 3000; i++) deep = { [`d${i}`]: deep };
    const gathered = await gatherFiles([{ kind: 'entry', entry: entry('pets', { ...tree, deep }) }]);
    expect(gathered.files.map((f) => f.path).sort()).toEqual(['pets/cat/d.png', expect.stringMatching(/^pets\/deep\/d2999\/.*\/d0\/deep\.png$/), 'pets/dog/a.png', 'pets/dog/b.png', 'pets/dog/c.png']);
  });
});
