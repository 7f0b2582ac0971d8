// Plain pixel ascent in PyTorch (tools/python/pixel_ascent.py), the independent estimate of what
// an image can reach that docs/featureviz.md quotes: the engine, fed the images it saves, must
// give the values it prints, and those must beat every evaluation image. Its projected sign
// ascent from evaluation images too, and kept to a band of frequencies, whose images must have
// no energy above the cut.

import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/lib/engine/engine';
import { objectiveValues } from '../../src/lib/featureviz/visualize';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../../tools/node/builtin';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { freshSeed } from '../helpers/random';

const objectives = ['channel:relu3:5', 'edge:conv3:4:7', 'channel:fc:3'];
const model = loadBuiltinModel('fashion-small');

/** Runs pixel_ascent.py on fashion-small: the printed values and the saved images (normalized input). */
function ascent(objs: string[], args: string[]): { printed: Record<string, number>; images: Record<string, Float32Array> } {
  const dir = mkdtempSync(join(tmpdir(), 'ascent-'));
  try {
    const r = spawnSync('/usr/bin/python3', ['tools/python/pixel_ascent.py', 'static/weights/fashion-small', ...objs, ...args, '--json', '--save', dir], {
      encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const images = Object.fromEntries(objs.map((o) => {
      const file = readFileSync(join(dir, `${o.replaceAll(':', '_')}.bin`));
      return [o, new Float32Array(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength))];
    }));
    return { printed: JSON.parse(r.stdout) as Record<string, number>, images };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The share of an image's energy (mean removed) at frequencies above `cut` cycles per pixel, by a direct DFT. */
function energyAbove(pixels: Float32Array, h: number, w: number, cut: number): number {
  const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
  let above = 0, total = 0;
  for (let u = 0; u < h; u++) for (let v = 0; v < w; v++) {
    let re = 0, im = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const a = -2 * Math.PI * ((u * y) / h + (v * x) / w), p = pixels[y * w + x] - mean;
      re += p * Math.cos(a);
      im += p * Math.sin(a);
    }
    const fu = Math.min(u, h - u) / h, fv = Math.min(v, w - v) / w, e = re * re + im * im;
    total += e;
    if (Math.hypot(fu, fv) > cut + 1e-9) above += e;
  }
  return above / total;
}

describe('pixel ascent (PyTorch)', () => {
  it('prints what the engine computes on its saved images, above every evaluation image', async () => {
    const seed = freshSeed() % 100000;
    const runs = [
      { what: 'adam', objs: objectives, args: ['--steps', '150', '--restarts', '4', '--seed', String(seed)], cut: null },
      { what: 'pgd from evaluation images', objs: objectives.slice(0, 2), args: ['--method', 'pgd', '--steps', '100', '--restarts', '2', '--dataset-starts', '2', '--seed', String(seed)], cut: null },
      { what: 'pgd below 0.25 cycles per pixel', objs: objectives.slice(0, 2), args: ['--method', 'pgd', '--steps', '100', '--restarts', '2', '--dataset-starts', '2', '--cut', '0.25', '--seed', String(seed)], cut: 0.25 },
    ];
    const device = await testDevice();
    const engine = Engine.create(device, model);
    try {
      await expectNoGpuErrors(device, async () => {
        const set = namedImageSet(model, loadBuiltinImages('fashion-small'), 'all', 'evaluation');
        for (const run of runs) {
          const { printed, images } = ascent(run.objs, run.args);
          for (const o of run.objs) {
            const image = images[o];
            const at = `${run.what}, ${o} (seed ${seed})`;
            expect(image.length, at).toBe(28 * 28);
            const onEngine = (await objectiveValues(engine, o, image, 1))[0];
            expect(Math.abs(onEngine - printed[o]), `${at}: engine ${onEngine}, PyTorch ${printed[o]}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(printed[o])));
            const pixels = Float32Array.from(image, (v) => v * model.input.std[0] + model.input.mean[0]);
            expect(Math.min(...pixels), at).toBeGreaterThanOrEqual(-1e-5);
            expect(Math.max(...pixels), at).toBeLessThanOrEqual(1 + 1e-5);
            if (run.cut !== null) expect(energyAbove(pixels, 28, 28, run.cut), at).toBeLessThan(1e-6);
            else {
              // The same measure sees the unrestricted search's fine detail.
              if (run.what.startsWith('pgd')) expect(energyAbove(pixels, 28, 28, 0.25), at).toBeGreaterThan(1e-3);
              const dataset = await objectiveValues(engine, o, set.images(0, set.count), set.count);
              expect(printed[o], at).toBeGreaterThan(Math.max(...dataset));
            }
          }
        }
      });
    } finally {
      engine.destroy();
    }
  }, 240_000);
});
