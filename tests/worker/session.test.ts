// The microscope session on fashion-small (and the branching fixture for add junctions):
// each edge's channels and nodes, circuits against extractCircuit on directly computed scores,
// node targets after the activation, conv-only pruning and linear=1, a dead target, the score
// cache, bad queries, inspection against the CPU reference network, a custom image sent once
// and named by key (one forward pass for it), ablation of a class unit,
// preservation, layouts and cancellation.

import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { MicroscopeSession } from '../../src/lib/worker/view/session';
import { computeScores, graphOf, QueryCancelled } from '../../src/lib/circuits/saliency';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { pixelImageStream } from '../../src/lib/circuits/imageStream';
import { channelId, nodesOfChannels } from '../../src/lib/graph/walks';
import { cpuForward } from '../../src/lib/cpu/reference';
import { conv2dForward, type ConvGeometry } from '../../src/lib/ops/reference/conv2d';
import { mapNodeOf } from '../../src/lib/graph/build';
import type { CircuitQuery } from '../../src/lib/worker/protocol';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { loadFixture } from '../helpers/fixtures';
import { testDevice } from '../helpers/gpu';
import { expectClose } from '../helpers/compare';
import { builtinImageSet, normalizedImage, randomImageSet } from './helpers';

const model = loadBuiltinModel('fashion-small');
const images = builtinImageSet('fashion-small');
let engine: Engine;
let session: MicroscopeSession;

beforeAll(async () => {
  engine = Engine.create(await testDevice(), model);
  session = new MicroscopeSession(engine, images);
});
afterAll(() => engine?.destroy());

/** Every kernel edge reads a channel that stands for its drawn source, and writes its target node's channel. */
function checkMapping(s: MicroscopeSession) {
  const { graph } = s;
  let kernels = 0;
  for (let e = 0; e < graph.edgeCount; e++) {
    if (!graph.edgeIsKernel[e]) {
      expect(graph.layers[graph.edgeLayer[e]].kind).toBe('junction');
      continue;
    }
    kernels++;
    expect(nodesOfChannels(graph, [graph.edgeFrom[e]])).toContain(graph.edgeSource[e]);
    expect(graph.nodeOfChannel[channelId(graph, graph.layers[graph.edgeLayer[e]].name, graph.edgeOut[e])]).toBe(graph.edgeTarget[e]);
  }
  expect(kernels).toBe(graph.kernelLayers.reduce((a, k) => a + k.rows * k.cols, 0));
}

describe('graph <-> kernels', () => {
  it('fashion-small: every conv/linear edge is the kernel with the same weights', () => {
    checkMapping(session);
  });

  it('branching net (concat, add junctions, batchnorm after add)', async () => {
    const f = loadFixture('branchnet');
    const e = Engine.create(await testDevice(), f.model);
    try {
      const s = new MicroscopeSession(e, randomImageSet(f.model, 8, 3));
      checkMapping(s);
      expect(s.graph.layers.some((l) => l.kind === 'junction')).toBe(true);
      const r = await s.circuit({ target: 'logit:1', images: 'all', criterion: 'actgrad', cut: { kind: 'keep', value: 0.3 } });
      const { graph } = s;
      let junctions = 0;
      for (let ed = 0; ed < graph.edgeCount; ed++) {
        const ends = r.nodesKept[graph.edgeSource[ed]] && r.nodesKept[graph.edgeTarget[ed]];
        if (!graph.edgeIsKernel[ed]) {
          junctions += r.kept[ed];
          expect(r.kept[ed]).toBe(ends ? 1 : 0);
        } else if (r.kept[ed]) {
          expect(ends).toBe(1);
        }
      }
      expect(junctions).toBeGreaterThan(0);
    } finally {
      e.destroy();
    }
  });
});

describe('circuits', () => {
  const query: CircuitQuery = { target: 'node:conv3:5', images: 'class:Sandal', criterion: 'actgrad', cut: { kind: 'keep', value: 0.2 } };

  it('a node target reads the map after the activation; the result equals extractCircuit on direct scores; a new cut hits the cache', async () => {
    const r = await session.circuit(query);
    expect(r.cached).toBe(false);
    expect(r.targetLabel).toBe('mean of conv3:5 after its activation (relu3)');
    const sandals = images.splits.scoring.filter((i) => images.labels[i] === 5);
    expect(r.imageCount).toBe(sandals.length);
    expect(r.imagesLabel).toBe(`class Sandal (${sandals.length} images)`);

    // Independently: score the same images directly and cut on the channel graph.
    const target = { kind: 'featureMean', layer: 'relu3', channel: 5 } as const;
    const set = pixelImageStream('sandals', model.input, images.pixels, sandals, images.labels);
    const scores = await computeScores(engine, target, set, 'actgrad');
    const g = graphOf(engine);
    const direct = extractCircuit(model, g, target, scores, { keep: 0.2 });
    expect(r.kernelsKept).toBe(direct.kernelsKept);
    expect(r.kernelsRelevant).toBe(direct.kernelsRelevant);
    expect(r.layers).toEqual(direct.layers);
    const { graph } = session;
    expect(r.kept.length).toBe(graph.edgeCount);
    for (let e = 0; e < graph.edgeCount; e++) {
      expect(r.kept[e]).toBe(direct.kept[e]);
      expect(r.relevant[e]).toBe(scores.relevant[e]);
      expect(r.edgeScores[e]).toBeCloseTo(scores.edges[e], 6);
      expect(r.edgeImportance[e]).toBeGreaterThanOrEqual(0);
      expect(r.edgeImportance[e]).toBeLessThanOrEqual(1);
    }
    // The target node, and nothing after conv3 (fc) is on the circuit.
    const conv3 = graph.layers.find((l) => l.name === 'conv3')!;
    expect(r.targetNodes).toEqual([conv3.nodeStart + 5]);
    expect(r.nodesKept[conv3.nodeStart + 5]).toBe(1);
    const fc = graph.layers.find((l) => l.name === 'fc')!;
    for (let n = fc.nodeStart; n < fc.nodeStart + fc.nodeCount; n++) expect(r.nodesKept[n]).toBe(0);
    for (let c = 0; c < conv3.nodeCount; c++) if (c !== 5) expect(r.nodesKept[conv3.nodeStart + c]).toBe(0);

    expect(r.emptyReason).toBeNull();
    const again = await session.circuit({ ...query, cut: { kind: 'threshold', value: 0.5 }, perLayer: true });
    expect(again.cached).toBe(true);
    expect(again.ms).toBe(0);
    const byThreshold = extractCircuit(model, g, target, scores, { threshold: 0.5, perLayer: true });
    expect(again.kernelsKept).toBe(byThreshold.kernelsKept);
  });

  it('contrasts reuse the cached scores of their terms', async () => {
    const magnitude = { ...query, criterion: 'magnitude' as const, target: 'logit:Bag' };
    expect((await session.circuit({ ...magnitude, images: 'class:Bag' })).cached).toBe(false);
    expect((await session.circuit({ ...magnitude, images: 'all' })).cached).toBe(false);
    const c = await session.circuit({ ...magnitude, images: 'Bag - all' });
    expect(c.cached).toBe(true);
    expect(c.imagesLabel).toBe(`class Bag − all images (${(50 + 500).toLocaleString('en-US')} images)`);
    expect(c.targetNodes).toEqual([session.graph.layers.find((l) => l.name === 'fc')!.nodeStart + 8]);
  });

  it('an empty circuit says which layer the cut left empty', async () => {
    // a global 1% cut by magnitude leaves some layer on the way empty
    const r = await session.circuit({ target: 'loss', images: 'all', criterion: 'magnitude', cut: { kind: 'keep', value: 0.01 } });
    const raw = extractCircuit(model, graphOf(engine), { kind: 'loss' }, await computeScores(engine, { kind: 'loss' }, pixelImageStream('none', model.input, images.pixels, [], images.labels), 'magnitude'), { keep: 0.01, effective: false });
    const gap = raw.layers.find((l) => l.kernelsKept === 0)!;
    expect(r.kernelsKept).toBe(0);
    expect(r.emptyReason).toBe(`the top 1% of kernels include no kernel of ${gap.layer}, so no path from the input reaches the target: keep more kernels, or normalize scores per layer.`);
  });

  it('only conv kernels are pruned by default; linear=1 prunes the linear layer too', async () => {
    const base = { target: 'loss', images: 'class:Bag', criterion: 'actgrad' as const, cut: { kind: 'keep' as const, value: 0.1 } };
    const convOnly = await session.circuit(base);
    const fc = convOnly.layers.find((l) => l.layer === 'fc')!;
    expect(fc.pruned).toBe(false);
    expect(convOnly.layers.filter((l) => l.layer !== 'fc').every((l) => l.pruned)).toBe(true);
    const convRelevant = convOnly.layers.filter((l) => l.pruned).reduce((a, l) => a + l.kernelsRelevant, 0);
    expect(convOnly.kernelsRelevant).toBe(convRelevant);
    const both = await session.circuit({ ...base, linear: true });
    expect(both.layers.find((l) => l.layer === 'fc')!.pruned).toBe(true);
    expect(both.kernelsRelevant).toBe(convRelevant + fc.kernelsRelevant);
  });

  it('a target that is zero on the chosen image gives an empty circuit that says so', async () => {
    // Find, on the CPU reference network, a relu3 map that is zero everywhere on some image.
    let found: { image: number; channel: number } | null = null;
    for (let i = 0; i < 40 && !found; i++) {
      const relu3 = cpuForward(model, normalizedImage(model, images, i), 1).values.get('relu3')!;
      const plane = relu3.shape[1] * relu3.shape[2];
      for (let c = 0; c < relu3.shape[0] && !found; c++) if (relu3.data.subarray(c * plane, (c + 1) * plane).every((v) => v === 0)) found = { image: i, channel: c };
    }
    expect(found, 'a unit dead on one of the first 40 images').not.toBeNull();
    const r = await session.circuit({ target: `node:conv3:${found!.channel}`, images: `image:${found!.image}`, criterion: 'actgrad', cut: { kind: 'keep', value: 0.5 } });
    expect(r.kernelsKept).toBe(0);
    expect(r.kept.every((v) => v === 0)).toBe(true);
    expect(r.emptyReason).toMatch(/does not change on these images/);
  });

  it('rejects bad targets and image sets with a message naming them', async () => {
    await expect(session.circuit({ ...query, target: 'node:conv7:1' })).rejects.toThrow(/no layer named "conv7"/);
    await expect(session.circuit({ ...query, images: 'class:Hat' })).rejects.toThrow(/unknown class "Hat"/);
    await expect(session.circuit({ ...query, images: 'image:5000' })).rejects.toThrow(/there are 1000 images/);
    await expect(session.circuit({ ...query, cut: { kind: 'keep', value: 0 } })).rejects.toThrow(/keep 0/);
    await expect(session.circuit({ ...query, criterion: 'bogus' as never })).rejects.toThrow(/criterion "bogus"/);
  });

  it('cancels while scoring', async () => {
    const controller = new AbortController();
    let reports = 0;
    const run = session.circuit({ ...query, images: 'all', criterion: 'snip' }, {
      signal: controller.signal,
      progress: (_phase, done) => {
        reports++;
        if (done > 0) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(QueryCancelled);
    expect(reports).toBeGreaterThan(0);
    // nothing half-done was cached
    expect((await session.circuit({ ...query, images: 'image:3', criterion: 'snip' })).cached).toBe(false);
  });

  it('preservation on the evaluation images: the whole relevant network preserves exactly', async () => {
    // a session over fewer held-out images keeps the test short
    const fewer = new MicroscopeSession(engine, { ...images, splits: { scoring: images.splits.scoring, evaluation: images.splits.evaluation.slice(0, 120) } });
    const full = await fewer.preservation({ ...query, target: 'logit:Sandal', criterion: 'magnitude', cut: { kind: 'keep', value: 1 } });
    expect(full.images).toBe(120);
    expect(full.collapsed).toBe(false);
    expect(full.r).toBeGreaterThan(0.99999);
    expect(full.meanAbsDiffOverStd).toBeLessThan(1e-4);
    const sparse = await fewer.preservation({ ...query, target: 'logit:Sandal', criterion: 'magnitude', cut: { kind: 'keep', value: 0.02 } });
    expect(sparse.r).toBeLessThan(full.r);
  });
});

describe('inspection', () => {
  const index = 7;
  const cpu = cpuForward(model, normalizedImage(model, images, index), 1);
  const plane = (name: string, c: number) => {
    const t = cpu.values.get(name)!;
    const p = t.shape.length === 3 ? t.shape[1] * t.shape[2] : 1;
    return t.data.subarray(c * p, (c + 1) * p);
  };
  const layer = (name: string) => session.graph.layers.find((l) => l.name === name)!;

  it('node maps equal the CPU reference network after the nonlinearity', async () => {
    for (const [name, c] of [['conv2', 3], ['conv3', 31], ['fc', 8], ['input', 0]] as const) {
      const node = layer(name).nodeStart + c;
      const r = await session.inspectNode(node, { kind: 'set', index });
      const mapNode = name === 'input' ? 'input' : mapNodeOf(model, name);
      expect(r.map.node).toBe(mapNode);
      expectClose(r.map.data, plane(mapNode, c), 2e-5, `${name}:${c} map`);
      expect(r.incoming.length).toBe(name === 'input' ? 0 : session.graph.layers[session.graph.nodeLayer[node]].edgeCount / layer(name).nodeCount);
      expect(r.mean).toBeCloseTo(plane(mapNode, c).reduce((a, v) => a + v, 0) / r.map.data.length, 4);
    }
    const fcNode = await session.inspectNode(layer('fc').nodeStart + 5, { kind: 'set', index });
    expect(fcNode.label).toBe('Sandal');
    expect(fcNode.incoming[0].kernel.height).toBe(3);
    expect(fcNode.incoming[0].kernel.width).toBe(3);
  });

  it('a conv node: each edge pre-sum equals a direct f64 conv of its input channel; they sum (plus bias) to the conv output', async () => {
    const name = 'conv2';
    const o = 6;
    const l = model.layers.find((x) => x.name === name)!;
    const node = layer(name).nodeStart + o;
    const inspection = await session.inspectNode(node, { kind: 'set', index });
    const g = l.attrs as unknown as ConvGeometry;
    const [, OH, OW] = l.shape;
    const total = new Float64Array(OH * OW).fill(l.params.bias[o]);
    const input = cpu.values.get(l.inputs[0])!;
    const [C, H, W] = input.shape;
    for (const { edge } of inspection.incoming) {
      const r = await session.inspectEdge(edge, { kind: 'set', index });
      const i = session.graph.edgeIn[edge];
      expect(r.input.node).toBe(l.inputs[0]);
      expectClose(r.input.data, plane(l.inputs[0], i), 2e-5, `input of edge ${edge}`);
      // direct: conv of the single channel with the single kernel (CPU reference op, f64)
      const x = { batch: 1, shape: [1, H, W], data: input.data.slice(i * H * W, (i + 1) * H * W) };
      const w = l.params.weight.subarray((o * C + i) * 9, (o * C + i + 1) * 9);
      const direct = conv2dForward(x, Float32Array.from(w), undefined, [1, OH, OW], { ...g, groups: 1 });
      expectClose(r.preSum.data, direct.data, 2e-5, `pre-sum of edge ${edge}`);
      r.preSum.data.forEach((v, q) => (total[q] += v));
      expectClose(r.output.data, plane(mapNodeOf(model, name), o), 2e-5, 'output map');
    }
    expect(inspection.incoming.length).toBe(C);
    expectClose(total, plane(name, o), 2e-5, 'sum of pre-sums + bias vs conv output');
  });

  it('a linear node: pre-sums are dot products of H x W runs; they sum (plus bias) to the logit', async () => {
    const l = model.layers.find((x) => x.name === 'fc')!;
    const c = 3;
    const inspection = await session.inspectNode(layer('fc').nodeStart + c, { kind: 'set', index });
    let total = l.params.bias[c];
    for (const { edge } of inspection.incoming) {
      const r = await session.inspectEdge(edge, { kind: 'set', index });
      expect([r.input.height, r.input.width]).toEqual([3, 3]);
      expect(r.input.node).toBe('pool3');
      expectClose(r.input.data, plane('pool3', session.graph.edgeIn[edge]), 2e-5, 'linear edge input');
      expect(r.preSum.data.length).toBe(1);
      total += r.preSum.data[0];
    }
    expectClose([total], plane('fc', c), 2e-5, 'logit from pre-sums');
  });

  it('custom images and bad references', async () => {
    const pixels = Float32Array.from(normalizedImage(model, images, 11));
    const r = await session.inspectNode(layer('conv1').nodeStart, { kind: 'custom', key: session.addImage(pixels) });
    const ref = cpuForward(model, Float64Array.from(pixels), 1).values.get(mapNodeOf(model, 'conv1'))!;
    expectClose(r.map.data, ref.data.subarray(0, 28 * 28), 2e-5, 'custom image map');
    await expect(session.inspectNode(0, { kind: 'set', index: 1000 })).rejects.toThrow(/image 1000 does not exist/);
    expect(() => session.addImage(new Float32Array(5))).toThrow(/1x28x28 = 784/);
    expect(() => session.addImage(new Float32Array(784).fill(NaN))).toThrow(/non-finite value at 0/);
    await expect(session.inspectNode(0, { kind: 'custom', key: 'custom:0:784' })).rejects.toThrow(/custom image "custom:0:784" is unknown: register it first/);
    await expect(session.inspectNode(-1, { kind: 'set', index: 0 })).rejects.toThrow(/node -1 does not exist/);
    await expect(session.inspectEdge(1e9, { kind: 'set', index: 0 })).rejects.toThrow(/edge 1000000000 does not exist/);
  });
});

describe('a custom image registered once', () => {
  const layer = (name: string) => session.graph.layers.find((l) => l.name === name)!;

  it('is classified, inspected and ablated by key as the CPU reference network computes, on one forward pass', async () => {
    const index = 13;
    const pixels = Float32Array.from(normalizedImage(model, images, index));
    const cpu = cpuForward(model, Float64Array.from(pixels), 1).values;
    const conv2 = mapNodeOf(model, 'conv2');
    const forward = vi.spyOn(engine, 'forward');
    try {
      const key = session.addImage(pixels);
      expect(session.addImage(pixels.slice())).toBe(key); // the same pixels, the same key
      const image = { kind: 'custom' as const, key };
      const classified = await session.classify(image);
      expectClose(classified.logits, cpu.get(model.output)!.data, 2e-5, 'custom image logits');
      const node = await session.inspectNode(layer('conv2').nodeStart + 3, image);
      expectClose(node.map.data, cpu.get(conv2)!.data.subarray(3 * 196, 4 * 196), 2e-5, 'custom image conv2:3 map');
      const edge = await session.inspectEdge(node.incoming[1].edge, image);
      expectClose(edge.output.data, node.map.data, 0, 'edge output = node map');
      const fc = layer('fc');
      const request = { image, removedEdges: [], removedNodes: [fc.nodeStart + 4], target: 'logit:4' };
      const ablated = await session.ablate(request);
      expect(ablated.targetAblated).toBeCloseTo(model.layers.find((l) => l.name === 'fc')!.params.bias[4], 5);
      expect(ablated.targetOriginal).toBeCloseTo(cpu.get(model.output)!.data[4], 4);
      // one pass for the image, one for the ablated network (sending the pixels with each call ran four: classify, inspect, ablate twice)
      expect(forward).toHaveBeenCalledTimes(2);

      // the same image as one of the set's: the same numbers
      const bySet = await session.ablate({ ...request, image: { kind: 'set', index } });
      expect(Array.from(bySet.original)).toEqual(Array.from(ablated.original));
      expect(Array.from(bySet.ablated)).toEqual(Array.from(ablated.ablated));
      const setNode = await session.inspectNode(layer('conv2').nodeStart + 3, { kind: 'set', index });
      expect(Array.from(setNode.map.data)).toEqual(Array.from(node.map.data));
      expect(Array.from((await session.classify({ kind: 'set', index })).logits)).toEqual(Array.from(classified.logits));
    } finally {
      forward.mockRestore();
    }
  });

  it('the worker keeps the last few; an older key is forgotten with a clear error', async () => {
    const keys = Array.from({ length: 9 }, (_, i) => session.addImage(new Float32Array(784).fill(i / 10)));
    await expect(session.classify({ kind: 'custom', key: keys[0] })).rejects.toThrow(/unknown: register it first \(addImage\); the worker keeps the last 8/);
    expect((await session.classify({ kind: 'custom', key: keys[8] })).logits.length).toBe(10);
  });
});

describe('ablation', () => {
  it('removing every edge into a class unit leaves its bias as the logit; the network is restored after', async () => {
    const fc = session.graph.layers.find((l) => l.name === 'fc')!;
    const c = 5;
    const bias = model.layers.find((l) => l.name === 'fc')!.params.bias[c];
    const before = await engine.logits(Float32Array.from(normalizedImage(model, images, 2)), 1);
    const byNode = await session.ablate({ image: { kind: 'set', index: 2 }, removedEdges: [], removedNodes: [fc.nodeStart + c], target: 'logit:Sandal' });
    expect(byNode.targetAblated).toBeCloseTo(bias, 5);
    expect(byNode.targetOriginal).toBeCloseTo(before[c], 5);
    const edges = [...Array(fc.edgeCount).keys()].map((k) => fc.edgeStart + k).filter((e) => session.graph.edgeTarget[e] === fc.nodeStart + c);
    const byEdges = await session.ablate({ image: { kind: 'set', index: 2 }, removedEdges: edges, removedNodes: [], target: 'logit:5' });
    expect(byEdges.targetAblated).toBeCloseTo(bias, 5);
    expect(byEdges.ablated.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    expectClose(byEdges.original, byNode.original, 1e-6, 'original probabilities');
    const after = await engine.logits(Float32Array.from(normalizedImage(model, images, 2)), 1);
    expectClose(after, before, 1e-6, 'logits after ablation');
    await expect(session.ablate({ image: { kind: 'set', index: 2 }, removedEdges: [], removedNodes: [0], target: 'loss' })).rejects.toThrow(/no kernels into it/);
    await expect(session.ablate({ image: { kind: 'set', index: 2 }, removedEdges: [], removedNodes: [], target: 'logit:Hat' })).rejects.toThrow(/unknown class "Hat"/);
  });
});

describe('layouts', () => {
  it('grid, sorted and Class MDS give a finite position per node; MDS reports each class and is cached', async () => {
    const n = session.graph.nodeCount;
    const grid = await session.layout('grid');
    expect(grid.length).toBe(2 * n);
    const importance = Float32Array.from({ length: n }, (_, i) => (i * 7919) % 13);
    const sorted = await session.layout('sorted', importance);
    expect(sorted.length).toBe(2 * n);
    await expect(session.layout('sorted', new Float32Array(3))).rejects.toThrow(/3 values, the graph has/);
    const phases: [string, number, number][] = [];
    const mds = await session.layout('mds', null, { progress: (p, d, t) => phases.push([p, d, t]) });
    expect(mds.length).toBe(2 * n);
    expect(mds.every(Number.isFinite)).toBe(true);
    expect(phases.at(-1)).toEqual(['Class importance', 10, 10]);
    expect(new Set(phases.map((p) => p[1])).size).toBe(11);
    // conv layers are no longer a straight column
    const conv2 = session.graph.layers.find((l) => l.name === 'conv2')!;
    const xs = new Set(Array.from({ length: conv2.nodeCount }, (_, k) => mds[2 * (conv2.nodeStart + k)].toFixed(3)));
    expect(xs.size).toBeGreaterThan(1);
    const phasesAgain: string[] = [];
    const again = await session.layout('mds', null, { progress: (p) => phasesAgain.push(p) });
    expect(phasesAgain).toEqual([]); // cached: no class is scored again
    expect(Array.from(again)).toEqual(Array.from(mds));
    await expect(session.layout('spiral' as never)).rejects.toThrow(/layout "spiral"/);
  });
});
