// Circuit queries end to end on a fixture model: top-k and threshold circuits, the
// effective mask never adds kernels, sub-feature circuits stay inside their general
// circuit, cross-preservation, cancellation, progress, and constant GPU memory over sets.

import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import type { Target } from '../../src/lib/engine/targets';
import { computeScores, graphOf, QueryCancelled } from '../../src/lib/circuits/saliency';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { subFeatureCircuit, crossPreservation } from '../../src/lib/circuits/subcircuit';
import { preservation } from '../../src/lib/circuits/preservation';
import { floatImageStream } from '../../src/lib/circuits/imageStream';
import { testDevice } from '../helpers/gpu';
import { loadFixture } from '../helpers/fixtures';
import { rng, randomArray } from '../helpers/random';

const f = loadFixture('alexnet-mini');
const model = f.model;
const per = 3 * 35 * 35;
const images = (n: number, seed: number) => floatImageStream(`${n} random images`, per, randomArray(n * per, rng(seed), 1), Array.from({ length: n }, (_, i) => i % 5));
const target: Target = { kind: 'featureMean', layer: 'conv3', channel: 2 };

describe('circuit queries', () => {
  it('keep fractions, thresholds and the effective mask', async () => {
    const engine = Engine.create(await testDevice(), model);
    try {
      const g = graphOf(engine);
      const scores = await computeScores(engine, target, images(6, 1), 'actgrad');
      const relevant = scores.relevant.reduce((a, v) => a + v, 0);
      const raw = extractCircuit(model, g, target, scores, { keep: 0.2, effective: false });
      expect(raw.kernelsKept).toBe(Math.ceil(0.2 * relevant)); // every relevant kernel here is a conv kernel
      const eff = extractCircuit(model, g, target, scores, { keep: 0.2 });
      for (let e = 0; e < eff.kept.length; e++) if (eff.kept[e]) expect(raw.kept[e]).toBe(1);
      expect(eff.layers.map((l) => l.layer)).toEqual(['conv1', 'conv2', 'conv3', 'fc1', 'fc2']);
      expect(eff.layers[2].filtersKept).toBeLessThanOrEqual(1); // at most the target filter in its own layer
      expect(eff.kernelsKept).toBeLessThanOrEqual(raw.kernelsKept);
      expect(eff.layers[3].kernelsKept).toBe(0); // nothing downstream of the target
      const all = extractCircuit(model, g, target, scores, { threshold: 0 });
      expect(all.kernelsKept).toBeLessThanOrEqual(relevant);
      const top = extractCircuit(model, g, target, scores, { threshold: 1, effective: false });
      expect(top.kernelsKept).toBeGreaterThanOrEqual(1);
      const perLayer = extractCircuit(model, g, target, scores, { threshold: 1, perLayer: true, effective: false });
      expect(perLayer.kernelsKept).toBeGreaterThanOrEqual(3); // the best kernel of each relevant layer
    } finally {
      engine.destroy();
    }
  });

  it('sub-feature circuits lie inside the general circuit; cross-preservation is a matrix', async () => {
    const engine = Engine.create(await testDevice(), model);
    try {
      const g = graphOf(engine);
      const all = images(8, 2);
      const general = extractCircuit(model, g, target, await computeScores(engine, target, all, 'actgrad'), { keep: 0.5 });
      const a = floatImageStream('a', per, all.images(0, 2));
      const b = floatImageStream('b', per, all.images(2, 2));
      const subA = await subFeatureCircuit(engine, target, general.kept, a, 'actgrad', 0.3);
      const subB = await subFeatureCircuit(engine, target, general.kept, b, 'actgrad', 0.3);
      for (const sub of [subA, subB]) {
        // Only kernels of the general circuit can be chosen.
        expect(sub.scores.relevant.reduce((x, v) => x + v, 0)).toBe(general.kernelsKept);
        expect(sub.circuit.kernelsKept).toBeLessThanOrEqual(Math.ceil(0.3 * general.kernelsKept));
        for (let e = 0; e < general.kept.length; e++) if (sub.circuit.kept[e]) expect(general.kept[e]).toBe(1);
      }
      const m = await crossPreservation(engine, target, [subA.circuit.kept, subB.circuit.kept], [a, b]);
      expect(m.length).toBe(2);
      expect(m[0].length).toBe(2);
      const direct = await preservation(engine, target, subA.circuit.kept, a);
      expect(m[0][0].r).toBeCloseTo(direct.r, 6);
    } finally {
      engine.destroy();
    }
  });

  it('reports progress, can be cancelled, and keeps GPU memory constant over larger sets', async () => {
    const engine = Engine.create(await testDevice(), model, { maxBatch: 4 });
    try {
      const progress: number[] = [];
      await computeScores(engine, target, images(8, 3), 'actgrad', { onProgress: (d) => progress.push(d) });
      expect(progress).toEqual([4, 8]);
      const bytes = engine.gpuBytes;
      await computeScores(engine, target, images(24, 4), 'actgrad');
      expect(engine.gpuBytes).toBe(bytes);
      const ctrl = new AbortController();
      const run = computeScores(engine, target, images(24, 5), 'snip', { signal: ctrl.signal, onProgress: () => ctrl.abort() });
      await expect(run).rejects.toBeInstanceOf(QueryCancelled);
    } finally {
      engine.destroy();
    }
  });
});
