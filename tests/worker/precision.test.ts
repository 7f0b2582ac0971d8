// The worker API's precision setting (ApiEnvironment.precision): the engines it builds use it,
// the model summary says which, and a 'fast' API classifies the model's images as an 'exact' one
// does, with logits within f16 weight rounding.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { createMicroscopeApi } from '../../src/lib/worker/api';
import type { Precision } from '../../src/lib/engine/engine';
import { WEIGHTS_DIR, loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { freshSeed, rng } from '../helpers/random';

const ORIGIN = 'http://models.test/';
const fileFetch: typeof fetch = async (input) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const body = readFileSync(`${WEIGHTS_DIR}${url.slice(ORIGIN.length)}`);
  return new Response(new Uint8Array(body), { headers: { 'content-length': String(body.length) } });
};

async function classifyWith(precision: Precision | undefined, images: Float32Array, count: number) {
  const api = createMicroscopeApi({
    acquire: async () => ({ device: await testDevice(), adapterDescription: 'test device', isFallbackAdapter: true }),
    fetch: fileFetch,
    ...(precision ? { precision } : {}),
  });
  await api.init();
  const load = await api.loadModel(`${ORIGIN}fashion-small/`);
  if (!load.ok) throw new Error(load.message);
  return { summary: load.model, result: await api.classify(images, count) };
}

describe('worker API precision', () => {
  it("is 'exact' unless asked; 'fast' keeps the top class, logits within 4 layers of f16 rounding", async () => {
    const seed = freshSeed();
    const model = loadBuiltinModel('fashion-small');
    const set = namedImageSet(model, loadBuiltinImages('fashion-small'), 'all', 'evaluation');
    const count = 12;
    const images = set.images(Math.floor(rng(seed)() * (set.count - count)), count);
    const plain = await classifyWith(undefined, images, count);
    const fast = await classifyWith('fast', images, count);
    expect(plain.summary.precision).toBe('exact');
    expect(fast.summary.precision).toBe('fast');
    const C = plain.result.classes;
    let differs = false;
    for (let n = 0; n < count; n++) {
      const e = Array.from(plain.result.logits.subarray(n * C, (n + 1) * C));
      const f = Array.from(fast.result.logits.subarray(n * C, (n + 1) * C));
      expect(f.indexOf(Math.max(...f)), `image ${n} (seed ${seed})`).toBe(e.indexOf(Math.max(...e)));
      const bound = 4 * 2 ** -11 * Math.max(...e.map(Math.abs));
      for (let c = 0; c < C; c++) {
        expect(Math.abs(f[c] - e[c]), `image ${n} class ${c} (seed ${seed})`).toBeLessThanOrEqual(bound);
        differs ||= f[c] !== e[c];
      }
    }
    expect(differs).toBe(true);
  });

  it('setPrecision applies to the next load: fast, then exact again, each load rebuilding the engine; a bad value is refused', async () => {
    const api = createMicroscopeApi({
      acquire: async () => ({ device: await testDevice(), adapterDescription: 'test device', isFallbackAdapter: true }),
      fetch: fileFetch,
    });
    await api.init();
    const model = loadBuiltinModel('fashion-small');
    const images = namedImageSet(model, loadBuiltinImages('fashion-small'), 'all', 'evaluation').images(0, 4);
    const loadAt = async (precision: Precision) => {
      await api.setPrecision(precision);
      const load = await api.loadModel(`${ORIGIN}fashion-small/`);
      if (!load.ok) throw new Error(load.message);
      return { precision: load.model.precision, logits: Array.from((await api.classify(images, 4)).logits) };
    };
    const exact = await loadAt('exact');
    const fast = await loadAt('fast');
    const again = await loadAt('exact');
    expect([exact.precision, fast.precision, again.precision]).toEqual(['exact', 'fast', 'exact']);
    expect(fast.logits).not.toEqual(exact.logits);
    expect(again.logits).toEqual(exact.logits);
    await expect(api.setPrecision('half' as Precision)).rejects.toThrow(/unknown precision "half"/);
  });
});
