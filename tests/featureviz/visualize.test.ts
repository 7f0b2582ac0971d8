// Feature visualization end to end on the GPU: a short run on fashion-small drives a channel
// above its value on every evaluation image (the dataset computed independently by the
// CPU reference network); a seed fixes the image; frames, cancellation, circuit masks (the
// engine is left as found); the RGB path with and without colour decorrelation; bad input.

import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { visualize, visualizeBatch, objectiveValues } from '../../src/lib/featureviz/visualize';
import { ObjectiveSyntaxError } from '../../src/lib/featureviz/objectives';
import { cpuForward } from '../../src/lib/cpu/reference';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../../tools/node/builtin';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { loadFixture } from '../helpers/fixtures';

const model = loadBuiltinModel('fashion-small');

function normalize(image: Float32Array, mean: number[], std: number[], plane: number): Float32Array {
  return Float32Array.from(image, (v, i) => (v - mean[Math.floor(i / plane) % mean.length]) / std[Math.floor(i / plane) % std.length]);
}

describe('visualize on fashion-small', () => {
  it('64 steps drive channel conv3:5 above its value on every evaluation image', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    try {
      await expectNoGpuErrors(device, async () => {
        const objective = 'channel:conv3:5';
        const v = await visualize(engine, objective, { settings: { steps: 64 } });
        expect(v.image.length).toBe(28 * 28);
        expect(v.image.every((p) => p >= 0 && p <= 1)).toBe(true);
        expect(v.history.length).toBe(64);
        // The value on the visualization, through the CPU reference network (independent of the GPU objective code).
        const x = normalize(v.image, model.input.mean, model.input.std, 784);
        const conv3 = cpuForward(model, x, 1).values.get('conv3')!;
        const plane = conv3.shape[1] * conv3.shape[2];
        let cpuValue = 0;
        for (let q = 0; q < plane; q++) cpuValue += conv3.data[5 * plane + q] / plane;
        expect(Math.abs(cpuValue - v.objective)).toBeLessThan(1e-4 * Math.max(1, Math.abs(cpuValue)));
        const set = namedImageSet(model, loadBuiltinImages('fashion-small'), 'all', 'evaluation');
        const dataset = await objectiveValues(engine, objective, set.images(0, set.count), set.count);
        const max = Math.max(...dataset);
        const mean = dataset.reduce((a, b) => a + b, 0) / dataset.length;
        expect(v.objective, `visualization ${v.objective}, dataset mean ${mean}, max ${max}`).toBeGreaterThan(max);
        expect(v.history[63]).toBeGreaterThan(v.history[0]);
      });
    } finally {
      engine.destroy();
    }
  });

  it('a fixed seed gives the same image, another seed a different one', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    try {
      const run = (seed: number) => visualize(engine, 'channel:conv2:3 - 0.5*neuron:conv1:1@3,4', { settings: { steps: 6, seed } });
      const a = await run(7), b = await run(7), c = await run(8);
      expect(Array.from(b.image)).toEqual(Array.from(a.image));
      expect(b.history).toEqual(a.history);
      let diff = 0;
      for (let i = 0; i < a.image.length; i++) diff = Math.max(diff, Math.abs(a.image[i] - c.image[i]));
      expect(diff).toBeGreaterThan(1e-3);
    } finally {
      engine.destroy();
    }
  });

  it('an image does not depend on its batch partners: visualized alone or in any batch, the same', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    try {
      const settings = { steps: 12, seed: 5 };
      // The warm-up term of a dead unit and transforms both run; conv3:5 is spelled two ways.
      const alone = await visualize(engine, 'channel:conv3:5', { settings });
      const a = await visualizeBatch(engine, ['logit:2', 'channel:conv3:5', 'edge:conv2:4:1'], { settings });
      const b = await visualizeBatch(engine, ['channel:relu2:7', 'edge:conv2:4:1', '1*channel:conv3:5 ', 'logit:2'], { settings });
      const image = (r: { image: Float32Array }, n: number) => Array.from(r.image.subarray(n * 784, (n + 1) * 784));
      const close = (x: number[], y: number[]) => Math.max(...x.map((v, i) => Math.abs(v - y[i])));
      expect(close(image(a, 1), Array.from(alone.image))).toBeLessThan(1e-5);
      expect(close(image(b, 2), Array.from(alone.image))).toBeLessThan(1e-5);
      expect(close(image(a, 2), image(b, 1))).toBeLessThan(1e-5);
      expect(close(image(a, 0), image(b, 3))).toBeLessThan(1e-5);
      expect(Math.abs(a.values[1] - alone.objective)).toBeLessThan(1e-4 * Math.max(1, Math.abs(alone.objective)));
      // Two images of one objective still differ (their streams are numbered).
      const two = await visualize(engine, 'channel:conv3:5', { settings, batch: 2 });
      expect(close(image(two, 0), Array.from(alone.image))).toBeLessThan(1e-5);
      expect(close(image(two, 1), image(two, 0))).toBeGreaterThan(1e-3);
    } finally {
      engine.destroy();
    }
  });

  it('frames, cancellation and circuit masks leave the engine as they found it', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    try {
      await expectNoGpuErrors(device, async () => {
        const probe = new Float32Array(2 * 784).map((_, i) => Math.sin(i) * 0.8);
        const before = await engine.logits(probe, 2);
        const frames: number[] = [];
        const full = await visualize(engine, 'logit:3', { settings: { steps: 8 }, frameEvery: 4, onFrame: (s, n, o, img) => { frames.push(s); expect(n).toBe(8); expect(img.length).toBe(784); expect(Number.isFinite(o)).toBe(true); } });
        expect(frames).toEqual([4, 8]);
        // Cancelled after the first frame.
        const ctl = new AbortController();
        let cancelledAt = 0;
        const err = await visualize(engine, 'logit:3', { settings: { steps: 64 }, frameEvery: 2, signal: ctl.signal, onFrame: (s) => { cancelledAt = s; ctl.abort(); } }).catch((e) => e);
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).name).toBe('VisualizeCancelled');
        expect(cancelledAt).toBe(2);
        // A circuit: only the first 4 input channels of conv3 are kept.
        const conv3 = model.layers.find((l) => l.name === 'conv3')!;
        const [O, I] = conv3.paramShapes.weight;
        const mask = Float32Array.from({ length: O * I }, (_, e) => (e % I < 4 ? 1 : 0));
        const masked = await visualize(engine, 'logit:3', { settings: { steps: 8 }, circuitMasks: new Map([['conv3', { mask, taps: 9 }]]) });
        expect(masked.history).not.toEqual(full.history);
        expect(Array.from(await engine.logits(probe, 2))).toEqual(Array.from(before));
      });
    } finally {
      engine.destroy();
    }
  });

  it('polish steps optimize the untransformed image', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model);
    try {
      const run = (transforms: boolean, polish: number) =>
        visualize(engine, 'channel:conv2:3', { settings: { steps: 6, seed: 3, transforms, polish } });
      // Polishing every step is a run without transforms; polishing the last 2 of 6 changes only those.
      const off = await run(false, 0), allPolish = await run(true, 1);
      expect(Array.from(allPolish.image)).toEqual(Array.from(off.image));
      const plain = await run(true, 0), last2 = await run(true, 1 / 3);
      expect(last2.history.slice(0, 4)).toEqual(plain.history.slice(0, 4));
      let diff = 0;
      for (let i = 0; i < plain.image.length; i++) diff = Math.max(diff, Math.abs(plain.image[i] - last2.image[i]));
      expect(diff).toBeGreaterThan(1e-4);
      for (const bad of [-0.1, 1.5, NaN]) await expect(run(true, bad)).rejects.toThrow(/polish/);
    } finally {
      engine.destroy();
    }
  });

  it('bad input is refused with a clear message', async () => {
    const device = await testDevice();
    const engine = Engine.create(device, model, { maxBatch: 4 });
    try {
      await expect(visualize(engine, 'channel:conv9:1')).rejects.toThrow(ObjectiveSyntaxError);
      await expect(visualize(engine, 'channel:conv1:1', { batch: 5 })).rejects.toThrow(/batch 5: this GPU runs at most 4 images/);
      await expect(visualize(engine, 'channel:conv1:1 - diversity:conv1')).rejects.toThrow(/diversity compares the images of a batch/);
      await expect(visualize(engine, 'channel:conv1:1', { settings: { steps: 0 } })).rejects.toThrow(/steps 0/);
      await expect(visualizeBatch(engine, ['channel:conv1:1', 'channel:conv1:2'], { batch: 3 })).rejects.toThrow(/2 objectives for a batch of 3/);
      await expect(visualizeBatch(engine, ['channel:conv1:1 - diversity:conv1', 'channel:conv1:2'])).rejects.toThrow(/diversity needs one objective shared/);
    } finally {
      engine.destroy();
    }
  });
});

describe('visualize an RGB model (alexnet-mini, 3x35x35)', () => {
  it('runs with and without colour decorrelation, pixel and Fourier, and a diverse batch', async () => {
    const device = await testDevice();
    const m = loadFixture('alexnet-mini').model;
    const engine = Engine.create(device, m);
    try {
      await expectNoGpuErrors(device, async () => {
        const on = await visualize(engine, 'channel:conv2:3', { settings: { steps: 6, decorrelate: true } });
        const off = await visualize(engine, 'channel:conv2:3', { settings: { steps: 6, decorrelate: false } });
        const pixel = await visualize(engine, 'channel:conv2:3', { settings: { steps: 6, param: 'pixel' } });
        for (const v of [on, off, pixel]) {
          expect(v.image.length).toBe(3 * 35 * 35);
          expect(v.image.every((p) => p >= 0 && p <= 1)).toBe(true);
          const x = normalize(v.image, m.input.mean, m.input.std, 35 * 35);
          expect((await objectiveValues(engine, 'channel:conv2:3', x, 1))[0]).toBeCloseTo(v.objective, 4);
        }
        let diff = 0;
        for (let i = 0; i < on.image.length; i++) diff = Math.max(diff, Math.abs(on.image[i] - off.image[i]));
        expect(diff).toBeGreaterThan(1e-4);
        const diverse = await visualize(engine, 'channel:conv3:2 - 0.5*diversity:conv2', { settings: { steps: 4 }, batch: 2 });
        expect(diverse.image.length).toBe(2 * 3 * 35 * 35);
        expect(diverse.history.every(Number.isFinite)).toBe(true);
        const x = normalize(diverse.image, m.input.mean, m.input.std, 35 * 35);
        const both = await objectiveValues(engine, 'channel:conv3:2 - 0.5*diversity:conv2', x, 2);
        expect((both[0] + both[1]) / 2).toBeCloseTo(diverse.objective, 4);
      });
    } finally {
      engine.destroy();
    }
  });
});
