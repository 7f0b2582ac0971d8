// The image header reader against real files: PNG, baseline and progressive JPEG, GIF, BMP and
// WebP (lossy VP8, lossless VP8L, extended VP8X) written by Pillow 9.4, whose sizes are what
// Pillow's own decoder reported; every truncation of them; a JPEG whose frame header lies past
// the first read; and a 20000x20000 PNG of a few hundred bytes refused by its header alone.
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { headerSizeProblem, HEADER_BYTES, MAX_HEADER_SCAN, probeImageFile, readImageHeader } from '../../src/lib/images/header';
import { crc32 } from '../../src/lib/images/zip';

/** Made by Pillow 9.4 (gradients; see the header of this file); width and height as Pillow decodes them. */
const FILES = {
  png: { width: 37, height: 23, base64: 'iVBORw0KGgoAAAANSUhEUgAAACUAAAAXCAIAAAADThHyAAAAWElEQVR4nO2TuwrAMAwDr+DH0P7/93ZIHQg0Yw0FgQYhDzccPoDA8onn2mOz1+llTyw2e+LGaTDiVT7sk9cBm7wm2OD1wZA/+ZO/1d8lf7/2p/+TP/mrfgP5IxBhh4BBRgAAAABJRU5ErkJggg==' },
  jpeg: { width: 41, height: 29, base64: '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABsSFBcUERsXFhceHBsgKEIrKCUlKFE6PTBCYFVlZF9VXVtqeJmBanGQc1tdhbWGkJ6jq62rZ4C8ybqmx5moq6T/2wBDARweHigjKE4rK06kbl1upKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKSkpKT/wAARCAAdACkDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDBWKpViqwsVTLFSTJhVK6xVKsVWFiqVYq0TOyFUgWKn+VVpYqf5VWmdkauhUWL2qVYqnVBUqoK40z5WFQgWL2qZYqmVBUyoK0TO2FQgWL2p/le1WVQU/YKtM641ND/2Q==' },
  jpegProgressive: { width: 45, height: 19, base64: '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABsSFBcUERsXFhceHBsgKEIrKCUlKFE6PTBCYFVlZF9VXVtqeJmBanGQc1tdhbWGkJ6jq62rZ4C8ybqmx5moq6T/wgALCAATAC0BAREA/8QAFgABAQEAAAAAAAAAAAAAAAAAAgME/9oACAEBAAAAAcLTTDTTkmmv/8QAFhABAQEAAAAAAAAAAAAAAAAAEgAg/9oACAEBAAEFAjGMYxjGMYx3/8QAFBABAAAAAAAAAAAAAAAAAAAAQP/aAAgBAQAGPwIX/8QAFxABAQEBAAAAAAAAAAAAAAAAAQAQEf/aAAgBAQABPyEhCEMCEIQwCCCCC5f/2gAIAQEAAAAQqqV//8QAGhAAAwEBAQEAAAAAAAAAAAAAAAFhUTEhEf/aAAgBAQABPxCBAgQIC8cIECBAgLxwRgjBGCMEYJPnD//Z' },
  gif: { width: 33, height: 21, base64: 'R0lGODdhIQAVAIcAAAAAAAMDAwYGBggICAoKCgsLCw0NDQ4ODg8PDxAQEBERERISEhMTExQUFBUVFRYWFhcXFxgYGBkZGRoaGhsbGxwcHB0dHR4eHh8fHyAgICEhISIiIiMjIyQkJCUlJSYmJicnJygoKCkpKSoqKisrKywsLC0tLS4uLi8vLzAwMDExMTIyMjMzMzQ0NDU1NTY2Njc3Nzg4ODk5OTo6Ojs7Ozw8PD09PT4+Pj8/P0BAQEFBQUJCQkNDQ0REREVFRUZGRkdHR0hISElJSUpKSktLS0xMTE1NTU5OTk9PT1BQUFFRUVJSUlNTU1RUVFVVVVZWVldXV1hYWFlZWVpaWltbW1xcXF1dXV5eXl9fX2BgYGFhYWJiYmNjY2RkZGVlZWZmZmdnZ2hoaGlpaWpqamtra2xsbG1tbW5ubm9vb3BwcHFxcXJycnNzc3R0dHV1dXZ2dnd3d3h4eHl5eXp6ent7e3x8fH19fX5+fn9/f4CAgIGBgYKCgoODg4SEhIWFhYaGhoeHh4iIiImJiYqKiouLi4yMjI2NjY6Ojo+Pj5CQkJGRkZKSkpOTk5SUlJWVlZaWlpeXl5iYmJmZmZqampubm5ycnJ2dnZ6enp+fn6CgoKGhoaKioqOjo6SkpKWlpaampqenp6ioqKmpqaqqqqurq6ysrK2tra6urq+vr7CwsLGxsbKysrOzs7S0tLW1tba2tre3t7i4uLm5ubq6uru7u7y8vL29vb6+vr+/v8DAwMHBwcLCwsPDw8TExMXFxcbGxsfHx8jIyMnJycrKysvLy8zMzM3Nzc7Ozs/Pz9DQ0NHR0dLS0tPT09TU1NXV1dbW1tfX19jY2NnZ2dra2tvb29zc3N3d3d7e3t/f3+Dg4OHh4eLi4uPj4+Tk5OXl5ebm5ujo6Onp6evr6+zs7O7u7vHx8fT09AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACwAAAAAIQAVAEAI/wABBBAwoMABBQ0eSKiAYYOHECNMpGDxQkYNHDp6ABliJMkSJ1Go2MjB40cQIkeUNIEyxQqWLV7CkDmThs0bOXXw6OkDaJChRIscRZpjJw+fP4IIHVLUCNKkSpg2eQpF6lQqVq9k1cK1qxewYcaSMXN2QUMHECJKoFjhIgaNGyR/CCmCRCVLK1m4xJypxqYcKle0dAEzxgyaNW7i0LljFGkhREydWsrEaWpVVa1gSaJ0SVMnUKNMoVrlKhatW7p4/RJWDNmyZtCmWcvGzRs4ceTKmUOwwEGECRYycPgggsQJFS1gzLCBY4ePk0eSMHkipcrLwWMkUpTxNuNGI0g+hv8MzOWLmDKH3cAh2lgQXfEt85ovc0ZNm/VF9/gJpJTpI0lQbfIZX23clJN+/P3EyH9QeQaaKamQZtotuag2yGNBRcIZZZ+IUgoqmMEyiy1c+RIMMccow8wz0lSDzTbeDECAAQkwoBAFZZ01glpsuTVSSXPVtVJ8XECwUEMPkaBdRRd5x1F4IAEm33mHEWcccspd5Bx00lFnHUyEmVFTYovp8YJbNzj5XpR4lScGgfjhgWB/PnzXpRSACRZmeooxdpQgGDY1yWRDfhlTYTUZeMdOPSkoFGeedfihm/TZF+echySyIIBRfRbaVa9MyAaZi/IEKCIZUjIZJ5KOltmIFZoviOKcCv4HqaeiSXhaaqu1towzsVkT2VNRWWYVVlpx5RVYYjkTDTXXaNPNN+GMExAAOw==' },
  bmp: { width: 7, height: 5, base64: 'Qk2uAAAAAAAAADYAAAAoAAAABwAAAAUAAAABABgAAAAAAHgAAADEDgAAxA4AAAAAAAAAAAAAVcwAaswkf8xIlMxtqsyRv8y21MzaAAAAP5kAVZkkaplIf5ltlJmRqpm2v5naAAAAKmYAP2YkVWZIamZtf2aRlGa2qmbaAAAAFTMAKjMkPzNIVTNtajORfzO2lDPaAAAAAAAAFQAkKgBIPwBtVQCRagC2fwDaAAAA' },
  webpLossy: { width: 39, height: 27, base64: 'UklGRoYAAABXRUJQVlA4IHoAAAAQBQCdASonABsAPvlurFA/pySitVv8A/AfCWpoyoAEmkRykGDs4uJ3HlXL1Lofz/6IAP7xDa1RKOKgZtqSNztS7s60Bol45g6TwFCZ99xK57IPFdTDqXeWjutFWsKd467NBvF56S5lIpPavRHSvo5xbQKK5GyZr6AAAA==' },
  webpLossless: { width: 35, height: 17, base64: 'UklGRlwAAABXRUJQVlA4TE8AAAAvIgAEAAmASGp/7xUi+p+2AAjC/7iFiP6nGdS0jSSFwfLn+1V712aFBCm0yQkKQm3bNozt1El3yLiYLkHR9Ad7mEi0uicYEP5ckT11r60DAA==' },
  webpAlpha: { width: 29, height: 31, base64: 'UklGRroAAABXRUJQVlA4WAoAAAAQAAAAHAAAHgAAQUxQSBoAAAABmQpE9D9ApG0zuPk3fX4SMQGrQCVR1oePAVZQOCB6AAAAMAUAnQEqHQAfAD8RdrRQP6elIrAYDAPwIglqAK5Lf4LRT71FYvNsOkizZLM4VUrHuQAA/vDiQ8bCN8Q3f5h9MaV+pSFUikrJkICDR66OypE+VWtxbXQERLfn3WPrUmyTvp4BXdXn6LEb1qJNS/jjDn3+yzJyiDhYAAA=' },
} as const;
const KINDS: Record<keyof typeof FILES, string> = {
  png: 'PNG', jpeg: 'JPEG', jpegProgressive: 'JPEG', gif: 'GIF', bmp: 'BMP', webpLossy: 'WebP', webpLossless: 'WebP', webpAlpha: 'WebP',
};
const bytesOf = (name: keyof typeof FILES) => new Uint8Array(Buffer.from(FILES[name].base64, 'base64'));

/** A PNG chunk: length, type, data, CRC. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const body = new Uint8Array([...Buffer.from(type, 'ascii'), ...data]);
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(body, 4);
  v.setUint32(8 + data.length, crc32(body));
  return out;
}

/** A PNG file that declares width x height but carries only a few rows of data (a "pixel bomb"). */
function hugePng(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const idat = new Uint8Array(deflateSync(new Uint8Array(2 * (width + 1))));
  return new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, ...chunk('IHDR', ihdr), ...chunk('IDAT', idat), ...chunk('IEND', new Uint8Array(0))]);
}

/** A Blob that counts the bytes read through slice(). */
function countingBlob(bytes: Uint8Array): { blob: Blob; reads: number[] } {
  const blob = new Blob([bytes as BlobPart]);
  const reads: number[] = [];
  const slice = blob.slice.bind(blob);
  blob.slice = (start?: number, end?: number) => {
    reads.push((end ?? bytes.length) - (start ?? 0));
    return slice(start, end);
  };
  return { blob, reads };
}

const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** The JPEG with APP1 segments of `bytes` in all inserted after SOI, as cameras put EXIF data there. */
function withApp1(jpeg: Uint8Array, bytes: number): Uint8Array {
  const segments: Uint8Array[] = [];
  for (let left = bytes; left > 0; left -= 65533) {
    const n = Math.min(65533, left);
    segments.push(new Uint8Array([0xff, 0xe1, (n + 2) >> 8, (n + 2) & 0xff]), new Uint8Array(n));
  }
  return concat(jpeg.subarray(0, 2), ...segments, jpeg.subarray(2));
}

describe('image headers', () => {
  it('reads the size of real PNG, JPEG, GIF, BMP and WebP files as Pillow decodes them', () => {
    for (const name of Object.keys(FILES) as (keyof typeof FILES)[]) {
      const read = readImageHeader(bytesOf(name));
      expect(read, name).toEqual({ header: { kind: KINDS[name], width: FILES[name].width, height: FILES[name].height } });
    }
  });

  it('a file cut short anywhere before its size is broken (or not an image before its signature), never a wrong size', () => {
    for (const name of Object.keys(FILES) as (keyof typeof FILES)[]) {
      const full = bytesOf(name);
      let firstGood = -1;
      for (let n = 0; n <= Math.min(full.length, 200); n++) {
        const cut = full.slice(0, n);
        const read = readImageHeader(cut, n); // the whole file is this short
        if ('header' in read) {
          expect(read.header, `${name} cut at ${n}`).toEqual({ kind: KINDS[name], width: FILES[name].width, height: FILES[name].height });
          if (firstGood < 0) firstGood = n;
        } else {
          expect(firstGood, `${name} cut at ${n} fails after reading at ${firstGood}`).toBe(-1);
          expect(read, `${name} cut at ${n}`).toEqual({ problem: n === 0 ? 'empty' : expect.stringMatching(new RegExp(`^(broken ${KINDS[name]}|not an image)$`)) });
        }
        // the same bytes from a longer file: more are asked for, never a problem
        if (!('header' in read) && n > 0 && n < full.length) {
          const partial = readImageHeader(cut, full.length);
          expect('needBytes' in partial || ('problem' in partial && partial.problem.startsWith('not')), `${name} prefix ${n}`).toBe(true);
        }
      }
      expect(firstGood, name).toBeGreaterThan(0);
    }
  });

  it('refuses what is not an image, and damaged headers, by name', () => {
    const text = new TextEncoder().encode('hello, this is a text file and not a picture at all');
    expect(readImageHeader(text)).toEqual({ problem: 'not an image' });
    expect(readImageHeader(new Uint8Array(0))).toEqual({ problem: 'empty' });
    const png = bytesOf('png');
    png[12] = 'X'.charCodeAt(0); // IHDR renamed
    expect(readImageHeader(png)).toEqual({ problem: 'broken PNG' });
    const zeroWide = bytesOf('gif');
    zeroWide[6] = zeroWide[7] = 0;
    expect(readImageHeader(zeroWide)).toEqual({ problem: 'broken GIF' });
    const webp = bytesOf('webpLossy');
    webp[23] = 0; // the VP8 start code
    expect(readImageHeader(webp)).toEqual({ problem: 'broken WebP' });
    // a JPEG whose image data starts before any frame header has no size
    expect(readImageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0, 8, 1, 2, 3, 4, 5, 6]))).toEqual({ problem: 'broken JPEG' });
  });

  it('reads a JPEG further when its frame header lies past the first 64 KiB, and stops at 4 MiB', async () => {
    // 150 kB of metadata first, and 1 MB of data after the frame header (as a large photo has)
    const jpeg = concat(withApp1(bytesOf('jpeg'), 150_000), new Uint8Array(1_000_000));
    const { blob, reads } = countingBlob(jpeg);
    expect(await probeImageFile(blob)).toEqual({ header: { kind: 'JPEG', width: 41, height: 29 } });
    expect(reads[0]).toBe(HEADER_BYTES);
    expect(reads.length).toBeGreaterThan(1);
    expect(Math.max(...reads)).toBeLessThan(jpeg.length); // never the whole file
    const far = withApp1(bytesOf('jpeg'), MAX_HEADER_SCAN + 1000);
    expect(await probeImageFile(new Blob([far as BlobPart]))).toEqual({ problem: 'no size in its header' });
  });

  it('a 20000x20000 PNG of a few hundred bytes is refused from its header, reading only its first bytes', async () => {
    const bomb = hugePng(20000, 20000);
    expect(bomb.length).toBeLessThan(400);
    const { blob, reads } = countingBlob(bomb);
    const read = await probeImageFile(blob);
    expect(read).toEqual({ header: { kind: 'PNG', width: 20000, height: 20000 } });
    expect(reads).toEqual([bomb.length]);
    if (!('header' in read)) throw new Error('no header');
    expect(headerSizeProblem(read.header)).toBe('20000×20000 px, over 8,192 px a side');
    expect(headerSizeProblem({ kind: 'JPEG', width: 8000, height: 6000 })).toBe('8000×6000 px, over 40 megapixels');
    expect(headerSizeProblem({ kind: 'JPEG', width: 8192, height: 4000 })).toBeNull();
  });
});
