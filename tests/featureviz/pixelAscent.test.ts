// Plain pixel ascent in PyTorch (tools/python/pixel_ascent.py), the independent estimate of what
// an image can reach that docs/featureviz.md quotes: the engine, fed the images it saves, must
// give the values it prints, and those must beat every evaluation image.

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

describe('pixel ascent (PyTorch)', () => {
  it('prints what the engine computes on its saved images, above every evaluation image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ascent-'));
    try {
      const seed = freshSeed() % 100000;
      const r = spawnSync('/usr/bin/python3', ['tools/python/pixel_ascent.py', 'static/weights/fashion-small', ...objectives,
        '--steps', '150', '--restarts', '4', '--seed', String(seed), '--json', '--save', dir], {
        encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const printed = JSON.parse(r.stdout) as Record<string, number>;
      const model = loadBuiltinModel('fashion-small');
      const device = await testDevice();
      const engine = Engine.create(device, model);
      try {
        await expectNoGpuErrors(device, async () => {
          const set = namedImageSet(model, loadBuiltinImages('fashion-small'), 'all', 'evaluation');
          for (const o of objectives) {
            const file = readFileSync(join(dir, `${o.replaceAll(':', '_')}.bin`));
            const image = new Float32Array(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength));
            expect(image.length, o).toBe(28 * 28);
            const onEngine = (await objectiveValues(engine, o, image, 1))[0];
            expect(Math.abs(onEngine - printed[o]), `${o} (seed ${seed}): engine ${onEngine}, PyTorch ${printed[o]}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(printed[o])));
            const dataset = await objectiveValues(engine, o, set.images(0, set.count), set.count);
            expect(printed[o], `${o} (seed ${seed})`).toBeGreaterThan(Math.max(...dataset));
          }
        });
      } finally {
        engine.destroy();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
