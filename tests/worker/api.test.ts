// The worker's API end to end over a real Comlink MessageChannel, as the page calls it: load a
// built-in model through fetch (with its image set), the graph, circuits with progress, cache
// and cancel, inspection against the CPU reference, ablation, layouts and visualization frames,
// a job queued behind another saying it waits.
// Results that cross are intact, and repeated calls show the worker's caches were not detached.

import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { createMicroscopeApi } from '../../src/lib/worker/api';
import { isCancelled, type Progress } from '../../src/lib/worker/jobs';
import { WAITING_PHASE } from '../../src/lib/worker/gpuQueue';
import type { MicroscopeApi, VizFrame } from '../../src/lib/worker/protocol';
import { receptiveField } from '../../src/lib/graph/receptiveField';
import { cpuForward } from '../../src/lib/cpu/reference';
import { mapNodeOf } from '../../src/lib/graph/build';
import { loadBuiltinModel, WEIGHTS_DIR } from '../../tools/node/builtin';
import { testDevice } from '../helpers/gpu';
import { expectClose } from '../helpers/compare';
import { builtinImageSet, normalizedImage } from './helpers';

const ORIGIN = 'http://models.test/';
/** Serves static/weights at ORIGIN; `hide` files answer 404, `replace` files answer other bytes. */
function fileFetch(hide: string[] = [], replace: Record<string, Uint8Array<ArrayBuffer>> = {}): typeof fetch {
  return async (input) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const swap = Object.keys(replace).find((name) => url.endsWith(name));
    if (swap) return new Response(replace[swap]);
    const path = `${WEIGHTS_DIR}${url.slice(ORIGIN.length)}`;
    if (!url.startsWith(ORIGIN) || hide.some((h) => url.endsWith(h)) || !existsSync(path)) return new Response('not found', { status: 404 });
    const body = readFileSync(path);
    return new Response(new Uint8Array(body), { headers: { 'content-length': String(body.length) } });
  };
}

const channels: MessageChannel[] = [];
/** Byte sizes of the buffers the worker's side moved to the page's side (transferred, not copied). */
const movedBytes: number[] = [];
function connect(hide: string[] = [], replace: Record<string, Uint8Array<ArrayBuffer>> = {}): Comlink.Remote<MicroscopeApi> {
  const channel = new MessageChannel();
  channels.push(channel);
  const api = createMicroscopeApi({
    acquire: async () => ({ device: await testDevice(), adapterDescription: 'test device', isFallbackAdapter: true }),
    fetch: fileFetch(hide, replace),
  });
  const port = channel.port1 as unknown as Comlink.Endpoint;
  const workerSide: Comlink.Endpoint = {
    postMessage: (message, transfer) => {
      for (const t of transfer ?? []) if (t instanceof ArrayBuffer) movedBytes.push(t.byteLength);
      port.postMessage(message, transfer);
    },
    addEventListener: port.addEventListener.bind(port),
    removeEventListener: port.removeEventListener.bind(port),
    start: port.start?.bind(port),
  };
  Comlink.expose(api, workerSide);
  return Comlink.wrap<MicroscopeApi>(channel.port2 as unknown as Comlink.Endpoint);
}
afterAll(() => {
  for (const c of channels) {
    c.port1.close();
    c.port2.close();
  }
});

const model = loadBuiltinModel('fashion-small');
const images = builtinImageSet('fashion-small');

describe('worker API over Comlink', () => {
  it('loads, queries, inspects, ablates, lays out and visualizes', async () => {
    const api = connect();
    expect(await api.init()).toEqual({ ok: true, adapter: 'test device', software: true });
    const loadPhases: string[] = [];
    const load = await api.loadModel(`${ORIGIN}fashion-small/`, 'load-1', Comlink.proxy((p: Progress) => void loadPhases.push(p.phase)));
    if (!load.ok) throw new Error(load.message);
    expect(load.imagesWarning).toBeNull();
    // the page's image set (the worker is the only one that downloads it) is the one on disk, read here independently
    const shown = load.images!;
    expect([shown.count, shown.channels, shown.height, shown.width]).toEqual([1000, 1, 28, 28]);
    expect(shown.pixels.length).toBe(images.pixels.length);
    expect(Buffer.compare(shown.pixels, images.pixels)).toBe(0);
    expect(shown.labels).toEqual(images.labels);
    expect(shown.classes).toEqual(model.classes);
    expect(shown.splits).toEqual(images.splits);
    expect([shown.splits.scoring.length, shown.splits.evaluation.length]).toEqual([500, 500]);
    // its pixels were moved, not copied, across; the worker kept its own (inspection below reads image 9)
    expect(movedBytes).toContain(1000 * 28 * 28);
    await new Promise((r) => setTimeout(r, 50)); // progress travels on its own port
    expect(loadPhases.some((p) => /images\.bin/.test(p))).toBe(true);
    // the summary is enough for receptive fields
    expect(receptiveField(load.model, 'conv3', 2, 5)).toEqual(receptiveField(model, 'conv3', 2, 5));

    const g1 = await api.graph();
    const g2 = await api.graph();
    expect(g2.edgeCount).toBe(g1.edgeCount);
    expect(Array.from(g2.edgeSource)).toEqual(Array.from(g1.edgeSource));
    expect(g2.layers.find((l) => l.op === 'linear')!.inputStarts!.length).toBe(33);

    const query = { target: 'node:conv3:5', images: 'class:Sandal', criterion: 'actgrad' as const, cut: { kind: 'keep' as const, value: 0.3 } };
    const progress: Progress[] = [];
    const first = await api.circuit(query, 'c-1', Comlink.proxy((p: Progress) => void progress.push(p)));
    expect(first.cached).toBe(false);
    expect(first.kept.length).toBe(g1.edgeCount);
    await new Promise((r) => setTimeout(r, 50));
    expect(progress.at(-1)).toEqual({ phase: 'Scoring class Sandal (50 images)', done: 50, total: 50 });
    const second = await api.circuit(query, 'c-2');
    expect(second.cached).toBe(true);
    expect(Array.from(second.kept)).toEqual(Array.from(first.kept));
    expect(Array.from(second.edgeScores)).toEqual(Array.from(first.edgeScores));
    await expect(api.circuit({ ...query, images: 'Sandal - Hat' }, 'c-3')).rejects.toThrow(/unknown class "Hat"/);

    // cancel from the progress callback, as the page's Cancel button does
    const cancelled = api.circuit({ ...query, images: 'all', criterion: 'snip' }, 'c-4', Comlink.proxy((p: Progress) => {
      if (p.done > 0) void api.cancel('c-4');
    }));
    expect(isCancelled(await cancelled.then(() => null, (e) => e))).toBe(true);

    const cpu = cpuForward(model, normalizedImage(model, images, 9), 1);
    const conv2 = g1.layers.find((l) => l.name === 'conv2')!;
    const node = await api.inspectNode(conv2.nodeStart + 4, { kind: 'set', index: 9 });
    const relu2 = cpu.values.get(mapNodeOf(model, 'conv2'))!.data.subarray(4 * 196, 5 * 196);
    expectClose(node.map.data, relu2, 2e-5, 'node map over Comlink');
    expect(node.incoming.length).toBe(8);
    const key = await api.addImage(Float32Array.from(normalizedImage(model, images, 9)));
    const edge = await api.inspectEdge(node.incoming[2].edge, { kind: 'custom', key });
    expect([edge.preSum.height, edge.preSum.width, edge.kernel.height]).toEqual([14, 14, 3]);
    expectClose(edge.output.data, relu2, 2e-5, 'edge output over Comlink');

    const fc = g1.layers.find((l) => l.name === 'fc')!;
    const ablation = await api.ablate({ image: { kind: 'set', index: 9 }, removedEdges: [], removedNodes: [fc.nodeStart + 1], target: 'logit:Trouser' });
    expect(ablation.targetAblated).toBeCloseTo(model.layers.at(-1)!.params.bias[1], 5);
    expect(ablation.original.length).toBe(10);
    // the custom image (image 9's pixels, sent once) by its key: classified as the CPU reference, ablated as image 9
    const byKey = await api.classifyImage({ kind: 'custom', key });
    expect([byKey.count, byKey.classes, byKey.gpuErrors.length]).toEqual([1, 10, 0]);
    expectClose(byKey.logits, cpu.values.get(model.output)!.data, 2e-5, 'custom image logits over Comlink');
    expect(byKey.probabilities.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    const keyAblation = await api.ablate({ image: { kind: 'custom', key }, removedEdges: [], removedNodes: [fc.nodeStart + 1], target: 'logit:Trouser' });
    expect(Array.from(keyAblation.ablated)).toEqual(Array.from(ablation.ablated));
    expect(Array.from(keyAblation.original)).toEqual(Array.from(ablation.original));
    await expect(api.classifyImage({ kind: 'custom', key: 'custom:nope' })).rejects.toThrow(/custom image "custom:nope" is unknown/);

    const grid = await api.layout('grid', null, 'l-1');
    const again = await api.layout('grid', null, 'l-2');
    expect(grid.length).toBe(2 * g1.nodeCount);
    expect(Array.from(again)).toEqual(Array.from(grid));

    const frames: VizFrame[] = [];
    const request = { unit: { kind: 'node' as const, node: conv2.nodeStart + 1 }, settings: { steps: 32, param: 'pixel' as const } };
    const viz = await api.visualize(request, 'v-1', undefined, Comlink.proxy((f: VizFrame) => void frames.push(f)));
    expect(viz.cached).toBe(false);
    expect(viz.rgba.length).toBe(28 * 28 * 4);
    await new Promise((r) => setTimeout(r, 50)); // frames are sent without waiting for the page
    expect(frames.map((f) => f.step)).toEqual([16, 32]);
    expect(frames[0].rgba.length).toBe(28 * 28 * 4);
    const cachedViz = await api.visualize(request, 'v-2');
    expect(cachedViz.cached).toBe(true);
    expect(Array.from(cachedViz.rgba)).toEqual(Array.from(viz.rgba));

    // a visualization asked for while a circuit query runs waits for it, and says so
    const vizPhases: string[] = [];
    const busy = api.circuit({ ...query, images: 'all', target: 'loss' }, 'c-7');
    const queued = api.visualize({ ...request, settings: { steps: 16, param: 'pixel' as const } }, 'v-3', Comlink.proxy((p: Progress) => void vizPhases.push(p.phase)));
    const [circuit, behind] = await Promise.all([busy, queued]);
    expect(circuit.kept.length).toBe(g1.edgeCount);
    expect(behind.rgba.length).toBe(28 * 28 * 4);
    await new Promise((r) => setTimeout(r, 50));
    expect(vizPhases[0]).toBe(WAITING_PHASE);
  });

  it('a model folder without images still loads, and circuits say why they need them', async () => {
    const api = connect(['images.json']);
    await api.init();
    const load = await api.loadModel(`${ORIGIN}fashion-small/`, 'load-2');
    if (!load.ok) throw new Error(load.message);
    expect(load.images).toBeNull();
    expect(load.imagesWarning).toMatch(/image set could not be loaded: images.json: HTTP 404/);
    await expect(api.circuit({ target: 'loss', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.1 } }, 'c-5')).rejects.toThrow(/has none \(images.json\)/);
    await expect(api.circuit({ target: 'loss', images: 'image:3', criterion: 'magnitude', cut: { kind: 'keep', value: 0.1 } }, 'c-6')).rejects.toThrow(/a circuit query needs the model's image set/);
    const custom = await api.inspectNode(5, { kind: 'custom', key: await api.addImage(new Float32Array(784)) });
    expect(custom.map.height).toBe(28);
    // images of another size: the model loads, the warning says why there are no images
    const small = { format: 'cnn-microscope-images/1', count: 1, channels: 1, height: 14, width: 14, labels: [0], classes: model.classes, splits: {} };
    const mismatched = connect([], { 'images.json': new TextEncoder().encode(JSON.stringify(small)), 'images.bin': new Uint8Array(196) });
    await mismatched.init();
    const odd = await mismatched.loadModel(`${ORIGIN}fashion-small/`, 'load-4');
    if (!odd.ok) throw new Error(odd.message);
    expect(odd.images).toBeNull();
    expect(odd.imagesWarning).toMatch(/does not fit the model: the image set has 1x14x14 images, the model "fashion-small" takes 1x28x28/);
    const missing = await api.loadModel(`${ORIGIN}no-such-model/`, 'load-3');
    expect(missing.ok).toBe(false);
    await expect(connect().graph()).rejects.toThrow(/No model is loaded/);
  });
});
