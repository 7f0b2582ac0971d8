// Top-activating images and kernel weights through the worker API on fashion-small: the images
// of a fresh random set ranked by a unit's mean activation on the GPU match the ranking by the
// CPU reference network's mean, the maps are the unit's maps, a second unit of the same layer
// comes from the cache, cancel stops the job, and kernels() returns the model's weights.

import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { createMicroscopeApi } from '../../src/lib/worker/api';
import { isCancelled } from '../../src/lib/worker/jobs';
import type { MicroscopeApi } from '../../src/lib/worker/protocol';
import { channelMeans, rankImages } from '../../src/lib/circuits/topImages';
import { cpuForward } from '../../src/lib/cpu/reference';
import { mapNodeOf, buildGraph } from '../../src/lib/graph/build';
import { loadBuiltinModel, WEIGHTS_DIR } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { expectClose } from '../helpers/compare';
import { rng } from '../helpers/random';
import { builtinImageSet, normalizedImage } from './helpers';
import type { ImageSet } from '../../src/lib/images/imageSet';

const ORIGIN = 'http://models.test/';
const fileFetch: typeof fetch = async (input) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const path = `${WEIGHTS_DIR}${url.slice(ORIGIN.length)}`;
  if (!url.startsWith(ORIGIN) || !existsSync(path)) return new Response('not found', { status: 404 });
  return new Response(new Uint8Array(readFileSync(path)));
};

const model = loadBuiltinModel('fashion-small');
const graph = buildGraph(model);
let api: MicroscopeApi;

/** `count` images drawn at random from the model's own set (a fresh subset each seed), as a set of their own. */
function randomSubset(count: number, seed: number): ImageSet {
  const all = builtinImageSet('fashion-small');
  const r = rng(seed);
  const per = all.channels * all.height * all.width;
  const pick = Array.from({ length: count }, () => Math.floor(r() * all.count));
  const pixels = new Uint8Array(count * per);
  pick.forEach((i, k) => pixels.set(all.pixels.subarray(i * per, (i + 1) * per), k * per));
  return { ...all, count, pixels, labels: pick.map((i) => all.labels[i]), splits: { scoring: [], evaluation: [] } };
}

/** Per image, the CPU reference's mean of channel c of `node`, and its maps. */
function cpuMeans(set: ImageSet, node: string, c: number): { means: number[]; maps: Float64Array[] } {
  const per = set.channels * set.height * set.width;
  const x = new Float64Array(set.count * per);
  for (let i = 0; i < set.count; i++) x.set(normalizedImage(model, set, i), i * per);
  const y = cpuForward(model, x, set.count).values.get(node)!;
  const plane = y.shape.length === 3 ? y.shape[1] * y.shape[2] : 1;
  const size = y.data.length / y.batch;
  const means: number[] = [], maps: Float64Array[] = [];
  for (let i = 0; i < set.count; i++) {
    const m = y.data.subarray(i * size + c * plane, i * size + (c + 1) * plane);
    maps.push(m);
    means.push(m.reduce((a, b) => a + b, 0) / plane);
  }
  return { means, maps };
}

describe('top images', () => {
  it('loads fashion-small and a random subset of its images', async () => {
    api = createMicroscopeApi({ acquire: async () => ({ device: await testDevice(), adapterDescription: 'test device', isFallbackAdapter: true }), fetch: fileFetch });
    expect((await api.init()).ok).toBe(true);
    expect((await api.loadModel(`${ORIGIN}fashion-small/`)).ok).toBe(true);
  });

  it('ranks images as the CPU reference mean does, with the unit maps', async () => {
    const set = randomSubset(48, 20261205 + Math.floor(Math.random() * 1000));
    expect((await api.useImageSet(set)).ok).toBe(true);
    const conv = graph.kernelLayers[1];
    const c = Math.floor(Math.random() * conv.rows);
    const node = graph.layers[conv.graphLayer].nodeStart + c;
    const r = await api.topImages(node, { top: 6, bottom: 3 });
    const name = mapNodeOf(model, conv.name);
    expect(r.mapNode).toBe(name);
    expect(r.channel).toBe(c);
    expect(r.cached).toBe(false);
    const cpu = cpuMeans(set, name, c);
    const order = cpu.means.map((m, i) => [m, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).map((p) => p[1]);
    const gap = (k: number) => Math.abs(cpu.means[order[k]] - cpu.means[order[k + 1]]);
    expect(r.top.length).toBe(6);
    expect(r.bottom.length).toBe(3);
    // the same images in the same order, except where two CPU means are within float noise
    r.top.forEach((t, k) => {
      if (gap(k) > 1e-4 && (k === 0 || gap(k - 1) > 1e-4)) expect(t.index).toBe(order[k]);
      expect(t.mean).toBeCloseTo(cpu.means[t.index], 4);
      expectClose(t.map.data, cpu.maps[t.index], 1e-4, `map of image ${t.index}`);
      expect(t.label).toBe(set.classes[set.labels[t.index]]);
    });
    const lowest = [...order].reverse();
    r.bottom.forEach((b, k) => {
      if (Math.abs(cpu.means[lowest[k]] - cpu.means[lowest[k + 1]]) > 1e-4 && (k === 0 || Math.abs(cpu.means[lowest[k - 1]] - cpu.means[lowest[k]]) > 1e-4)) expect(b.index).toBe(lowest[k]);
      expect(b.mean).toBeCloseTo(cpu.means[b.index], 4);
    });
    // another unit of the same layer: the per-image means come from the cache
    const other = await api.topImages(graph.layers[conv.graphLayer].nodeStart + ((c + 1) % conv.rows));
    expect(other.cached).toBe(true);
    expect(other.top[0].mean).toBeGreaterThanOrEqual(other.top[other.top.length - 1].mean);
  });

  it('the ranking helper orders by the means, ties by index', () => {
    const means = new Float32Array([1, 5, 5, -2, 3, 0]);
    const r = rankImages({ node: 'x', count: 6, channels: 1, means }, 0, 3, 2);
    expect(r.top).toEqual([1, 2, 4]);
    expect(r.bottom).toEqual([3, 5]);
    expect(() => rankImages({ node: 'x', count: 6, channels: 1, means }, 1, 3, 2)).toThrow(/channel 1/);
  });

  it('channelMeans stops when cancelled', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    const { Engine } = await import('../../src/lib/engine/engine');
    const engine = Engine.create(await testDevice(), model);
    try {
      const stream = { label: 's', count: 4, images: () => new Float32Array(4 * 784) };
      await expect(channelMeans(engine, 'relu1', stream, { signal: ctrl.signal })).rejects.toThrow(/cancelled/);
    } finally {
      engine.destroy();
    }
  });

  it('a cancelled top-images job reports a cancel', async () => {
    const set = randomSubset(400, 7);
    expect((await api.useImageSet(set)).ok).toBe(true);
    const node = graph.layers[graph.kernelLayers[0].graphLayer].nodeStart;
    const p = api.topImages(node, { top: 6, bottom: 3 }, 'top-cancel');
    await api.cancel('top-cancel');
    const err = await p.then(() => null, (e) => e);
    expect(err && isCancelled(err)).toBe(true);
  });

  it('kernels() returns the model weights of the edges asked for', async () => {
    const k = graph.kernelLayers[0];
    const layer = model.layers[k.modelLayer];
    const w = layer.params.weight;
    const taps = k.taps;
    const edges = [k.edgeStart, k.edgeStart + 3];
    const out = await api.kernels(edges);
    expect(out.length).toBe(2);
    edges.forEach((e, j) => {
      const o = graph.edgeOut[e], i = graph.edgeIn[e];
      expect(Array.from(out[j].weights)).toEqual(Array.from(w.subarray((o * k.cols + i) * taps, (o * k.cols + i + 1) * taps)));
      expect([out[j].height, out[j].width]).toEqual(k.geometry.kernel);
    });
    await expect(api.kernels([graph.edgeCount])).rejects.toThrow(/does not exist/);
  });
});
