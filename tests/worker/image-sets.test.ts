// Another image set in the session of fashion-small (the visitor's images, the demo photos): image
// set queries name its classes ("dog", "dog - all", "image:3"), circuits equal extractCircuit on
// scores computed directly over the same images, the loss takes the model's class of the same name
// or else the network's own prediction (against an independent argmax of its logits), nothing
// cached from the previous set is reused, a set of the wrong size is refused with the sizes named,
// and the demo photos load at the model's 1x28x28 and answer a class and a contrast. Also through the worker
// API over Comlink (the pixels transferred).

import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { computeScores, graphOf } from '../../src/lib/circuits/saliency';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { pixelImageStream } from '../../src/lib/circuits/imageStream';
import { normalizeBatch } from '../../src/lib/images/preprocess';
import type { ImageSet } from '../../src/lib/images/imageSet';
import { fetchDemoPhotos } from '../../src/lib/images/demoPhotos';
import { createMicroscopeApi } from '../../src/lib/worker/api';
import type { CircuitQuery, MicroscopeApi } from '../../src/lib/worker/protocol';
import { loadBuiltinModel, WEIGHTS_DIR } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { builtinImageSet } from './helpers';

const model = loadBuiltinModel('fashion-small');
const own = builtinImageSet('fashion-small');
const STATIC = fileURLToPath(new URL('../../static/', import.meta.url));
let engine: Engine;
let session: MicroscopeSession;

/** Fashion images under new names: the first `n` sandals are "dog", the first `n` bags "cat". */
function visitorSet(n: number): { set: ImageSet; sources: number[] } {
  const sandal = own.classes.indexOf('Sandal'), bag = own.classes.indexOf('Bag');
  const sources = [...own.labels.flatMap((l, i) => (l === bag ? [i] : [])).slice(0, n), ...own.labels.flatMap((l, i) => (l === sandal ? [i] : [])).slice(0, n)];
  const per = own.channels * own.height * own.width;
  const pixels = new Uint8Array(sources.length * per);
  sources.forEach((s, k) => pixels.set(own.pixels.subarray(s * per, (s + 1) * per), k * per));
  const all = sources.map((_, k) => k);
  return {
    set: { count: sources.length, channels: 1, height: 28, width: 28, classes: ['cat', 'dog'], labels: sources.map((_, k) => (k < n ? 0 : 1)), splits: { scoring: all, evaluation: all }, pixels },
    sources,
  };
}

const query: CircuitQuery = { target: 'node:conv2:3', images: 'dog', criterion: 'actgrad', cut: { kind: 'keep', value: 0.2 } };

beforeAll(async () => {
  engine = Engine.create(await testDevice(), model);
  session = new MicroscopeSession(engine, own);
});
afterAll(() => engine?.destroy());

describe('the visitor\'s image set in the session', () => {
  it('queries name its classes; the circuit equals extractCircuit on directly computed scores', async () => {
    const { set } = visitorSet(6);
    // scored once on the model's own sandals, to see that nothing of it is reused
    const before = await session.circuit({ ...query, images: 'Sandal' });
    session.useImages(set);
    const r = await session.circuit(query);
    expect(r.cached).toBe(false);
    expect(r.imagesLabel).toBe('class dog (6 images)');
    const target = { kind: 'featureMean', layer: 'relu2', channel: 3 } as const;
    const dogs = [6, 7, 8, 9, 10, 11];
    const scores = await computeScores(engine, target, pixelImageStream('dogs', model.input, set.pixels, dogs), 'actgrad');
    const direct = extractCircuit(model, graphOf(engine), target, scores, { keep: 0.2 });
    expect(r.kernelsKept).toBe(direct.kernelsKept);
    expect(Array.from(r.kept)).toEqual(Array.from(direct.kept));
    expect(r.edgeScores).not.toEqual(before.edgeScores);

    const contrast = await session.circuit({ ...query, images: 'dog - all' });
    expect(contrast.imagesLabel).toBe('class dog − all images (18 images)');
    const one = await session.circuit({ ...query, images: 'image:3' });
    expect(one.imageCount).toBe(1);
    await expect(session.circuit({ ...query, images: 'Sandal' })).rejects.toThrow(/unknown class "Sandal" \(classes: cat, dog/);
    await expect(session.circuit({ ...query, images: 'image:12' })).rejects.toThrow(/there are 12 images/);
  });

  it('the loss takes the network\'s own prediction for classes the model lacks, and the class of the same name otherwise', async () => {
    const { set } = visitorSet(4);
    session.useImages(set);
    const r = await session.circuit({ ...query, target: 'loss', images: 'all' });
    // the oracle: argmax of the logits of every image, from the engine's plain forward pass
    const logits = await engine.logits(normalizeBatch(Array.from({ length: set.count }, (_, i) => set.pixels.subarray(i * 784, (i + 1) * 784)), model.input), set.count);
    const k = model.classes.length;
    const predicted = Array.from({ length: set.count }, (_, i) => {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[i * k + c] > logits[i * k + best]) best = c;
      return best;
    });
    const all = Array.from({ length: set.count }, (_, i) => i);
    const scores = await computeScores(engine, { kind: 'loss' }, pixelImageStream('all', model.input, set.pixels, all, predicted), 'actgrad');
    const direct = extractCircuit(model, graphOf(engine), { kind: 'loss' }, scores, { keep: 0.2 });
    expect(Array.from(r.kept)).toEqual(Array.from(direct.kept));

    // the same images named by the model's classes: the loss uses those labels
    const named = { ...set, classes: ['bag', 'SANDAL'] };
    session.useImages(named);
    const labels = set.labels.map((l) => (l === 0 ? model.classes.indexOf('Bag') : model.classes.indexOf('Sandal')));
    const byName = await session.circuit({ ...query, target: 'loss', images: 'all' });
    const scores2 = await computeScores(engine, { kind: 'loss' }, pixelImageStream('all', model.input, set.pixels, all, labels), 'actgrad');
    expect(Array.from(byName.kept)).toEqual(Array.from(extractCircuit(model, graphOf(engine), { kind: 'loss' }, scores2, { keep: 0.2 }).kept));
    // an image of the set is classified as itself, not as the earlier set's image of that index
    const logits0 = (await session.classify({ kind: 'set', index: 5 })).logits;
    for (let c = 0; c < k; c++) expect(logits0[c]).toBeCloseTo(logits[5 * k + c], 4);
  });

  it('Class MDS lays out over the set\'s classes', async () => {
    session.useImages(visitorSet(3).set);
    const positions = await session.layout('mds');
    expect(positions.length).toBe(2 * session.graph.nodeCount);
    expect(positions.every(Number.isFinite)).toBe(true);
  });

  it('refuses a set of another size, naming both', () => {
    const wrong = { ...visitorSet(2).set, height: 14, width: 56 };
    expect(() => session.useImages(wrong)).toThrow('the image set has 1x14x56 images, the model "fashion-small" takes 1x28x28');
  });

  it('the demo photos load at the model\'s size (grey, 28x28) and answer a contrast', async () => {
    const fileFetch = (async (input: RequestInfo | URL) => new Response(new Uint8Array(readFileSync(`${STATIC}${String(input).slice('http://site.test/'.length)}`)))) as typeof fetch;
    const photos = await fetchDemoPhotos('http://site.test/images/demo-photos/', 1, 28, 28, fileFetch);
    expect([photos.count, photos.channels, photos.height, photos.width]).toEqual([20, 1, 28, 28]);
    expect(photos.classes).toEqual(['cat', 'coffee', 'coins', 'galaxy', 'horse', 'person', 'rocket']);
    session.useImages(photos);
    const cats = await session.circuit({ ...query, target: 'loss', images: 'cat' });
    expect(cats.imagesLabel).toBe('class cat (3 images)');
    expect(cats.kernelsKept).toBeGreaterThan(0);
    const r = await session.circuit({ ...query, images: 'cat - all' });
    expect(r.imagesLabel).toBe('class cat − all images (23 images)');
    expect(r.dead).toBe(false);
  });
});

describe('useImageSet over Comlink', () => {
  const channels: MessageChannel[] = [];
  afterAll(() => channels.forEach((c) => (c.port1.close(), c.port2.close())));

  it('transfers the pixels, checks the set and its size, and queries then name its classes', async () => {
    const channel = new MessageChannel();
    channels.push(channel);
    const fetchFn = (async (input: RequestInfo | URL) => {
      const url = String(input);
      return new Response(new Uint8Array(readFileSync(`${WEIGHTS_DIR}${url.slice('http://models.test/'.length)}`)));
    }) as typeof fetch;
    const api = createMicroscopeApi({ acquire: async () => ({ device: await testDevice(), adapterDescription: 'test device', isFallbackAdapter: true }), fetch: fetchFn });
    Comlink.expose(api, channel.port1 as unknown as Comlink.Endpoint);
    const remote = Comlink.wrap<MicroscopeApi>(channel.port2 as unknown as Comlink.Endpoint);
    expect(await remote.useImageSet(visitorSet(2).set)).toEqual({ ok: false, message: 'No model is loaded.' });
    await remote.init();
    expect((await remote.loadModel('http://models.test/fashion-small/')).ok).toBe(true);

    const { set } = visitorSet(3);
    const sent = { ...set, pixels: set.pixels.slice() };
    expect(await remote.useImageSet(Comlink.transfer(sent, [sent.pixels.buffer]))).toEqual({ ok: true, count: 6, classes: ['cat', 'dog'] });
    expect(sent.pixels.length).toBe(0); // moved, not copied
    const r = await remote.circuit({ ...query, images: 'dog - all' });
    expect(r.imagesLabel).toBe('class dog − all images (9 images)');

    const grey = await remote.useImageSet({ ...set, channels: 3, pixels: new Uint8Array(set.count * 3 * 784) });
    expect(grey).toEqual({ ok: false, message: 'These images are 28×28 RGB; model "fashion-small" takes 28×28 grey. Bring them at the model\'s size (importImages and resizeImageSet make them so).' });
    const broken = await remote.useImageSet({ ...set, labels: [0, 1, 2, 0, 0, 0] });
    expect(broken).toEqual({ ok: false, message: 'These images are not a valid image set: label 2 is 2, not a class index below 2' });
    // the model's own set again
    expect(await remote.useImageSet(own)).toEqual({ ok: true, count: 1000, classes: own.classes });
    expect((await remote.circuit({ ...query, images: 'Sandal - all' })).imagesLabel).toBe('class Sandal − all images (550 images)');
  });
});
