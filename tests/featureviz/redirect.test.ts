// The redirected ReLU gradient on fashion-vgg: edge fc1:90<-43 reads a pooled map that is
// all zero on the grey start, so with the ordinary gradient it stays at exactly 0; with the
// redirected gradient for the first steps it rises clearly above 0 (value checked through the
// CPU reference network, independent of the GPU objective code). The per-image choice between
// the ordinary and the redirected input gradient against its CPU reference. Bad settings are refused.

import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { visualize } from '../../src/lib/featureviz/visualize';
import { vizSettings } from '../../src/lib/featureviz/settings';
import { cpuForward } from '../../src/lib/cpu/reference';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { BufferPool } from '../../src/lib/engine/bufferPool';
import { Kernels, DEFAULT_WORKGROUP } from '../../src/lib/engine/kernels';
import { keepOrdinaryRef } from '../../src/lib/featureviz/reference';
import { rng, randomArray, freshSeed } from '../helpers/random';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';

const model = loadBuiltinModel('fashion-vgg');
const OBJECTIVE = 'edge:fc1:90:43';

/** The edge's value on an image through the CPU network: sum over input run 43 of W[90, k] x(k). */
function cpuEdgeValue(image: Float32Array): number {
  const { mean, std, height, width } = model.input;
  const plane = height * width;
  const x = Float32Array.from(image, (v, i) => (v - mean[Math.floor(i / plane) % mean.length]) / std[Math.floor(i / plane) % std.length]);
  const fc1 = model.layers.find((l) => l.name === 'fc1')!;
  // fc1 reads flat = flatten(pool3): input run 43 is pool3's channel 43.
  const pool3 = cpuForward(model, x, 1).values.get('pool3')!;
  const run = pool3.shape[1] * pool3.shape[2];
  const n = pool3.data.length;
  const w = fc1.params.weight;
  let s = 0;
  for (let k = 43 * run; k < 44 * run; k++) s += w[90 * n + k] * pool3.data[k];
  return s;
}

describe('redirected ReLU gradient', () => {
  it(`${OBJECTIVE} stays at 0 without it and rises above 0 with it`, async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    try {
      await expectNoGpuErrors(device, async () => {
        const base = { param: 'pixel' as const, steps: 16, lr: 0.2, transforms: false, warmupSteps: 0 };
        const plain = await visualize(engine, OBJECTIVE, { settings: { ...base, redirectSteps: 0 } });
        expect(plain.history.every((h) => h === 0), `history ${plain.history}`).toBe(true);
        expect(plain.objective).toBe(0);
        expect(cpuEdgeValue(plain.image)).toBe(0);
        const redirected = await visualize(engine, OBJECTIVE, { settings: { ...base, redirectSteps: 16 } });
        const cpu = cpuEdgeValue(redirected.image);
        expect(Math.abs(cpu - redirected.objective)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpu)));
        console.log(`${OBJECTIVE}: ${plain.objective} without, ${redirected.objective} with the redirected gradient (16 steps)`);
        expect(redirected.objective, `history ${redirected.history}`).toBeGreaterThan(0.2);
      });
    } finally {
      engine.destroy();
    }
  }, 120_000);

  it('keep_ordinary keeps an image\'s ordinary gradient unless it is all zero (or, with POSITIVE, its objective is not above 0)', async () => {
    const device = await testDevice();
    const pool = new BufferPool(device);
    const k = new Kernels(device, pool);
    const batch = 5, per = 1000;
    const r = rng(freshSeed());
    const ordinary = randomArray(batch * per, r);
    const redirected = randomArray(batch * per, r);
    const objective = Float32Array.from({ length: batch }, () => 0.1 + Math.abs(r()));
    ordinary.fill(0, 1 * per, 2 * per); // image 1: dead, takes the redirected gradient
    objective[2] = -Math.abs(r()) - 0.01; // image 2: alive but below 0, takes the redirected gradient
    ordinary.fill(0, 3 * per, 4 * per - 1); // image 3: one nonzero value at its end keeps it ordinary
    objective[4] = 0; // image 4: exactly 0 is not above 0
    const upload = (a: Float32Array<ArrayBuffer>) => {
      const b = pool.acquire(a.byteLength, 'test');
      device.queue.writeBuffer(b, 0, a);
      return b;
    };
    const ob = upload(ordinary), fb = upload(objective);
    const run = async (positive: boolean) => {
      const gb = upload(redirected);
      await expectNoGpuErrors(device, async () => {
        k.run([k.dispatch({ label: 'keep', shader: 'featureviz/keep_ordinary', defines: { POSITIVE: positive }, uniforms: [batch, per], buffers: [ob, fb, gb], threads: [batch * DEFAULT_WORKGROUP] })], 'test');
      });
      const st = device.createBuffer({ size: batch * per * 4, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      const e = device.createCommandEncoder();
      e.copyBufferToBuffer(gb, 0, st, 0, batch * per * 4);
      device.queue.submit([e.finish()]);
      await st.mapAsync(GPUMapMode.READ);
      const got = new Float32Array(st.getMappedRange().slice(0));
      st.destroy();
      const want = keepOrdinaryRef(ordinary, objective, redirected, batch, per, positive);
      expect(Array.from(got)).toEqual(Array.from(want, (v) => Math.fround(v)));
      expect(got[3 * per]).toBe(0);
      return [0, 1, 2, 3, 4].map((img) => (got[img * per + 7] === ordinary[img * per + 7] ? 'ordinary' : 'fallback'));
    };
    // Redirected ReLU steps: the objective must also be above 0.
    expect(await run(true)).toEqual(['ordinary', 'fallback', 'fallback', 'ordinary', 'fallback']);
    // Warm-up steps: any nonzero true gradient is kept.
    expect(await run(false)).toEqual(['ordinary', 'fallback', 'ordinary', 'ordinary', 'ordinary']);
  });

  it('redirectSteps must be an integer in 0..10000', () => {
    expect(vizSettings().redirectSteps).toBe(0);
    expect(vizSettings({ redirectSteps: 0 }).redirectSteps).toBe(0);
    expect(() => vizSettings({ redirectSteps: -1 })).toThrow(/redirected ReLU steps -1/);
    expect(() => vizSettings({ redirectSteps: 2.5 })).toThrow(/redirected ReLU steps 2.5/);
    expect(() => vizSettings({ redirectSteps: NaN })).toThrow(/redirected ReLU steps/);
  });
});
