// The engine's precision setting on whole models: 'exact' (the default) gives the same bits as an
// engine built without the setting and never compiles an f16 kernel; 'fast' keeps each built-in
// model's top-1 class with logits within a first-order bound of f16 weight rounding, repacks its
// f16 weights when edge masks change them, and saliency and feature visualization still work.
import { describe, it, expect } from 'vitest';
import { Engine, type EngineOptions } from '../../src/lib/engine/engine';
import type { Model } from '../../src/lib/model/types';
import { computeScores } from '../../src/lib/circuits/saliency';
import { floatImageStream } from '../../src/lib/circuits/imageStream';
import { visualize } from '../../src/lib/featureviz/visualize';
import { cpuForward } from '../../src/lib/cpu/reference';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../../tools/node/builtin';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { freshSeed, rng } from '../helpers/random';

const U16 = 2 ** -11;

/** `count` evaluation images of a built-in model from a random start. */
function someImages(name: string, model: Model, count: number, seed: number): Float32Array {
  const set = namedImageSet(model, loadBuiltinImages(name), 'all', 'evaluation');
  const start = Math.floor(rng(seed)() * (set.count - count));
  return set.images(start, count);
}

async function withEngine<T>(model: Model, options: EngineOptions, run: (e: Engine) => Promise<T>): Promise<T> {
  const device = await testDevice();
  const engine = Engine.create(device, model, options);
  try {
    let out!: T;
    await expectNoGpuErrors(device, async () => { out = await run(engine); });
    return out;
  } finally {
    engine.destroy();
  }
}

/** Every activation, the input gradient of a class logit and every kernel gradient, concatenated. */
async function everything(engine: Engine, images: Float32Array, count: number): Promise<Float32Array> {
  const m = engine.model;
  engine.forward(images, count);
  const parts: Float32Array[] = [];
  for (const l of m.layers) parts.push(await engine.read(l.name));
  engine.backward({ kind: 'classLogit', class: 1 }, { weightGrads: 'sum' });
  parts.push((await engine.readGrad(m.input.name))!);
  for (const l of m.layers) if (l.params.weight) parts.push(await engine.readParamGrad(l.name, 'weight'));
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return all;
}

/** A conv or linear forward dispatch that reads the weights: the pass itself, or the "gemm" family's weight layout. */
const READS_WEIGHTS = /\.forward(\.weights)?$/;

/** The shader defines of the engine's conv and linear dispatches (forward and backward to input). */
function convDefines(engine: Engine): string[] {
  return engine.forwardDispatches.filter((d) => READS_WEIGHTS.test(d.label) && d.pipeline.label.startsWith('conv2d/')).map((d) => d.pipeline.label);
}

const bitsEqual = (a: Float32Array, b: Float32Array) => a.length === b.length && new Uint32Array(a.buffer).every((v, i) => v === new Uint32Array(b.buffer)[i]);

describe('the precision setting', () => {
  it('is the default: the same bits as an engine built without the setting, and no f16 kernel', async () => {
    const seed = freshSeed();
    for (const name of ['fashion-small', 'fashion-inception']) {
      const model = loadBuiltinModel(name);
      const images = someImages(name, model, 4, seed);
      const plain = await withEngine(model, {}, (e) => everything(e, images, 4));
      const [exact, defines] = await withEngine(model, { precision: 'exact' }, async (e) => [await everything(e, images, 4), convDefines(e)] as const);
      expect(bitsEqual(exact, plain), `${name} (seed ${seed})`).toBe(true);
      expect(defines.length).toBeGreaterThan(0);
      for (const d of defines) expect(d).toContain('"F16_WEIGHTS":false');
      const fast = await withEngine(model, { precision: 'fast' }, async (e) => {
        const all = await everything(e, images, 4);
        for (const d of convDefines(e)) expect(d).toContain('"F16_WEIGHTS":true');
        return all;
      });
      expect(bitsEqual(fast, plain)).toBe(false);
    }
  });

  it("'fast' leaves a layer with a weight beyond f16's range (65504) on f32 weights", async () => {
    const model = loadBuiltinModel('fashion-small');
    const conv2 = model.layers.find((l) => l.name === 'conv2')!;
    const big = Float32Array.from(conv2.params.weight, (v, i) => (i === 5 ? 7e4 : v));
    const odd: Model = { ...model, layers: model.layers.map((l) => (l === conv2 ? { ...l, params: { ...l.params, weight: big } } : l)) };
    const images = someImages('fashion-small', model, 2, freshSeed());
    await withEngine(odd, { precision: 'fast' }, async (e) => {
      e.forward(images, 2);
      expect((await e.read('conv2')).every(Number.isFinite)).toBe(true);
      const byLayer = new Map(e.forwardDispatches.filter((d) => READS_WEIGHTS.test(d.label)).map((d) => [d.label.replace(READS_WEIGHTS, ''), d.pipeline.label]));
      expect(byLayer.get('conv2')).toContain('"F16_WEIGHTS":false');
      expect(byLayer.get('conv1')).toContain('"F16_WEIGHTS":true');
      expect(byLayer.get('fc')).toContain('"F16_WEIGHTS":true');
    });
  });

  it('a precision that is neither exact nor fast is refused by name', async () => {
    const device = await testDevice();
    expect(() => Engine.create(device, loadBuiltinModel('fashion-small'), { precision: 'half' as never })).toThrow(/precision must be 'exact' or 'fast', got "half"/);
  });
});

describe("precision 'fast' on built-in models", () => {
  for (const name of ['fashion-small', 'fashion-vgg', 'digits']) {
    it(`${name}: the same top-1 class as 'exact' on 16 images, logits within L * 2^-11 * max |logit|`, async () => {
      const seed = freshSeed();
      const model = loadBuiltinModel(name);
      const count = 16;
      const images = someImages(name, model, count, seed);
      const exact = await withEngine(model, { precision: 'exact' }, (e) => e.logits(images, count));
      const fast = await withEngine(model, { precision: 'fast' }, (e) => e.logits(images, count));
      const C = model.classes.length;
      // First-order estimate: every weight moves by at most 2^-11 of itself; if all moved that way at once
      // (the coherent worst case of a ReLU network without biases) the logits would scale by (1 + 2^-11)^L.
      const L = model.layers.filter((l) => l.op === 'conv2d' || l.op === 'linear').length;
      let worst = 0;
      for (let n = 0; n < count; n++) {
        const row = (a: Float32Array) => Array.from(a.subarray(n * C, (n + 1) * C));
        const e = row(exact), f = row(fast);
        const top = (r: number[]) => r.indexOf(Math.max(...r));
        const bound = L * U16 * Math.max(...e.map(Math.abs));
        const diff = Math.max(...e.map((v, c) => Math.abs(v - f[c])));
        expect(diff, `${name} image ${n} (seed ${seed}): max |logit difference| ${diff}, bound ${bound}`).toBeLessThanOrEqual(bound);
        expect(top(f), `${name} image ${n} (seed ${seed})`).toBe(top(e));
        worst = Math.max(worst, diff / bound);
      }
      expect(worst).toBeGreaterThan(0); // the fast run did round
      console.log(`${name}: largest logit difference ${(worst * 100).toFixed(1)}% of the bound (L = ${L})`);
    });
  }
});

describe("precision 'fast' with masks, saliency and feature visualization (fashion-small)", () => {
  const model = loadBuiltinModel('fashion-small');

  it('an edge mask repacks the f16 weights, and removing it restores them', async () => {
    const seed = freshSeed();
    const r = rng(seed);
    const images = someImages('fashion-small', model, 4, seed);
    const conv2 = model.layers.find((l) => l.name === 'conv2')!;
    const taps = 9;
    const mask = Float32Array.from({ length: conv2.params.weight.length / taps }, () => (r() < 0.5 ? 0 : 1));
    const zeroed = Float32Array.from(conv2.params.weight, (v, i) => v * mask[Math.floor(i / taps)]);
    const pruned: Model = { ...model, layers: model.layers.map((l) => (l === conv2 ? { ...l, params: { ...l.params, weight: zeroed } } : l)) };
    const want = await withEngine(pruned, { precision: 'fast' }, async (e) => { e.forward(images, 4); return e.read(model.output); });
    await withEngine(model, { precision: 'fast' }, async (e) => {
      e.forward(images, 4);
      const before = await e.read(model.output);
      e.setEdgeMasks(new Map([['conv2', { mask, taps }]]));
      e.forward(images, 4);
      expect(bitsEqual(await e.read(model.output), want), `seed ${seed}`).toBe(true);
      e.setEdgeMasks(null);
      e.forward(images, 4);
      expect(bitsEqual(await e.read(model.output), before), `seed ${seed}`).toBe(true);
    });
  });

  it("saliency: magnitude scores equal exact's (f32 weights), actgrad within f16 rounding", async () => {
    const seed = freshSeed();
    const per = 28 * 28;
    const set = floatImageStream('some', per, someImages('fashion-small', model, 8, seed));
    const target = { kind: 'classLogit', class: 7 } as const;
    const scores = (precision: 'exact' | 'fast') => withEngine(model, { precision }, async (e) => ({
      magnitude: (await computeScores(e, target, set, 'magnitude')).edges,
      actgrad: (await computeScores(e, target, set, 'actgrad')).edges,
    }));
    const exact = await scores('exact');
    const fast = await scores('fast');
    expect(bitsEqual(fast.magnitude, exact.magnitude)).toBe(true);
    const scale = Math.max(...exact.actgrad.map(Math.abs));
    const diff = Math.max(...exact.actgrad.map((v, i) => Math.abs(v - fast.actgrad[i])));
    // actgrad = activation x gradient, each off by about L * 2^-11 of its scale (L = 4 weight layers): 2L * 2^-11, doubled
    expect(diff, `seed ${seed}`).toBeLessThan(16 * U16 * scale);
    expect(diff).toBeGreaterThan(0);
    console.log(`actgrad edge scores: largest difference ${(diff / scale).toExponential(1)} of the largest score`);
  });

  it('feature visualization raises its objective, whose value agrees with the f32 CPU network on its image', async () => {
    await withEngine(model, { precision: 'fast' }, async (e) => {
      const v = await visualize(e, 'channel:conv3:5', { settings: { steps: 24 } });
      expect(v.history[23]).toBeGreaterThan(v.history[0]);
      const x = Float32Array.from(v.image, (p) => (p - model.input.mean[0]) / model.input.std[0]); // one channel
      const conv3 = cpuForward(model, x, 1).values.get('conv3')!;
      const plane = conv3.shape[1] * conv3.shape[2];
      let cpu = 0;
      for (let q = 0; q < plane; q++) cpu += conv3.data[5 * plane + q] / plane;
      // three conv layers of f16 weights: about 3 * 2^-11 of the value, doubled for safety
      expect(Math.abs(cpu - v.objective), `GPU ${v.objective}, CPU ${cpu}`).toBeLessThan(6 * U16 * Math.max(1, Math.abs(cpu)));
    });
  });
});
