// The actgrad reduction's tuner: with a fake clock (each family's runs cost what the test says)
// it picks the fastest family that passes its check against the f64 oracle, keeps "gemm"
// unless another is more than 10% faster, stores the choice per adapter and reuses it untimed;
// on the test adapter it tunes a real model; computeScores follows the chosen or forced family.
import { describe, expect, it, vi } from 'vitest';
import { testDevice } from '../helpers/gpu';
import { loadFixture } from '../helpers/fixtures';
import { rng, randomArray } from '../helpers/random';
import { Kernels, type Dispatch } from '../../src/lib/engine/kernels';
import { BufferPool } from '../../src/lib/engine/bufferPool';
import { Engine } from '../../src/lib/engine/engine';
import { MemoryChoiceStore } from '../../src/lib/engine/tuning';
import type { Target } from '../../src/lib/engine/targets';
import { SALIENCY_VARIANTS, actgradShapeClass, type ActgradShape } from '../../src/lib/circuits/actgradEdges';
import { tuneActgradShape, tuneSaliency, modelActgradShapes } from '../../src/lib/circuits/tuningSaliency';
import { computeScores } from '../../src/lib/circuits/saliency';
import { floatImageStream } from '../../src/lib/circuits/imageStream';
import { buildGraph } from '../../src/lib/graph/build';

/** The store's key suffix: the families a choice was made among. */
const ALL = [...SALIENCY_VARIANTS].sort().join('+');

const SHAPE: ActgradShape = {
  batch: 6, inShape: [6, 9, 11], outShape: [4, 5, 6],
  g: { kernel: [3, 3], stride: [2, 2], padding: [1, 1], dilation: [1, 1], groups: 2 },
};

/**
 * Kernels whose runs advance a fake clock by the cost of the family in the run's label; a family
 * in `broken` has its dispatches dropped (its result stays zero, so it fails its check).
 */
async function fakeTimedKernels(cost: Record<string, number>, broken: string[] = []) {
  const device = await testDevice();
  const k = new Kernels(device, new BufferPool(device));
  let now = 0;
  const runs: Record<string, number> = {};
  const run = k.run.bind(k);
  vi.spyOn(k, 'run').mockImplementation((list: Dispatch[], label?: string) => {
    const family = SALIENCY_VARIANTS.find((v) => label?.endsWith(`.${v}`));
    if (family) {
      runs[family] = (runs[family] ?? 0) + 1;
      now += cost[family];
    }
    run(family && broken.includes(family) ? [] : list, label);
  });
  return { k, runs, clock: () => now };
}

describe('actgrad reduction tuner with a fake clock', () => {
  it('picks the fastest family that passes, records it in Kernels and the store, and reuses it per adapter', async () => {
    const store = new MemoryChoiceStore();
    const key = actgradShapeClass(SHAPE);
    const a = await fakeTimedKernels({ blocked: 5, split: 2, gemm: 6 });
    const r = await tuneActgradShape(a.k, SHAPE, { store, adapterKey: 'gpu-A', clock: a.clock, budgetMs: 4 });
    expect(r).toMatchObject({ choice: 'split', cached: false, failed: [] });
    expect(r.ms).toEqual({ blocked: 5, split: 2, gemm: 6 });
    expect(a.k.variantChoices.get(key)).toBe('split');
    expect(a.k.variantFor(key, 'blocked')).toBe('split');
    expect(store.entries.get(`gpu-A|${key}|${ALL}`)).toBe('split');

    const again = await fakeTimedKernels({ blocked: 1, split: 9, gemm: 9 });
    const reused = await tuneActgradShape(again.k, SHAPE, { store, adapterKey: 'gpu-A', clock: again.clock });
    expect(reused).toMatchObject({ choice: 'split', cached: true });
    expect(again.runs).toEqual({});
    expect(again.k.variantChoices.get(key)).toBe('split');

    const other = await tuneActgradShape(again.k, SHAPE, { store, adapterKey: 'gpu-B', clock: again.clock, budgetMs: 4 });
    expect(other).toMatchObject({ choice: 'blocked', cached: false });
    expect(store.entries.get(`gpu-B|${key}|${ALL}`)).toBe('blocked');
    expect(store.entries.get(`gpu-A|${key}|${ALL}`)).toBe('split');
  });

  it('keeps the default family (gemm) unless another is more than 10% faster', async () => {
    const close = await fakeTimedKernels({ blocked: 9, split: 4.7, gemm: 5 });
    expect((await tuneActgradShape(close.k, SHAPE, { store: new MemoryChoiceStore(), adapterKey: 'a', clock: close.clock })).choice).toBe('gemm');
    const clear = await fakeTimedKernels({ blocked: 9, split: 4, gemm: 5 });
    expect((await tuneActgradShape(clear.k, SHAPE, { store: new MemoryChoiceStore(), adapterKey: 'a', clock: clear.clock })).choice).toBe('split');
  });

  it('never picks a faster family whose result fails the oracle check', async () => {
    const f = await fakeTimedKernels({ blocked: 5, split: 1, gemm: 9 }, ['split']);
    const store = new MemoryChoiceStore();
    const r = await tuneActgradShape(f.k, SHAPE, { store, adapterKey: 'a', clock: f.clock });
    expect(r).toMatchObject({ choice: 'blocked', failed: ['split'] });
    expect(Object.keys(r.ms)).toEqual(['blocked', 'gemm']);
    const g = await fakeTimedKernels({ blocked: 5, split: 1, gemm: 9 }, ['blocked']);
    expect((await tuneActgradShape(g.k, SHAPE, { store: new MemoryChoiceStore(), adapterKey: 'a', clock: g.clock })).failed).toEqual(['blocked']);
  });
});

const fixture = loadFixture('alexnet-mini');
const per = 3 * 35 * 35;
const target: Target = { kind: 'featureMean', layer: 'conv3', channel: 1 };

describe('actgrad reduction tuning on the test adapter', () => {
  it("lists a model's kernel layer shapes once per shape class", () => {
    const shapes = modelActgradShapes(fixture.model, 4);
    const layers = buildGraph(fixture.model).kernelLayers;
    expect(shapes.length).toBeGreaterThan(0);
    expect(shapes.length).toBeLessThanOrEqual(layers.length);
    expect(new Set(shapes.map(actgradShapeClass)).size).toBe(shapes.length);
    for (const l of layers) expect(shapes.some((s) => s.inShape === l.inMap && s.outShape === l.outMap)).toBe(true);
  });

  it('tunes every shape of a model with real timings, records the choices, and reuses them untimed', async () => {
    const engine = Engine.create(await testDevice(), fixture.model, { maxBatch: 4 });
    try {
      const store = new MemoryChoiceStore();
      const results = await tuneSaliency(engine, { store, adapterKey: 'test-adapter', budgetMs: 1, minRuns: 1, maxRuns: 2 });
      expect(results.length).toBe(modelActgradShapes(fixture.model, 4).length);
      for (const r of results) {
        expect(r.failed).toEqual([]);
        expect(Object.keys(r.ms).sort()).toEqual([...SALIENCY_VARIANTS].sort());
        const [fastest, fastestMs] = Object.entries(r.ms).sort((a, b) => a[1] - b[1])[0];
        expect(r.choice).toBe(fastestMs * 1.1 >= r.ms.blocked ? 'blocked' : fastest);
      }
      expect(engine.kernels.variantChoices.size).toBe(results.length);
      const again = await tuneSaliency(engine, { store, adapterKey: 'test-adapter' });
      for (const r of again) expect(r.cached).toBe(true);
      expect(engine.pool.inUseBytes).toBe(0);
    } finally {
      engine.destroy();
    }
  });

  it('computeScores runs the forced family; both families and both reductions give the same scores', async () => {
    const engine = Engine.create(await testDevice(), fixture.model);
    try {
      const set = floatImageStream('5 images', per, randomArray(5 * per, rng(77), 1));
      const compiled = vi.spyOn(engine.kernels, 'pipeline');
      const shaders = () => new Set(compiled.mock.calls.map((c) => c[0]));
      const blocked = await computeScores(engine, target, set, 'actgrad', { batchSize: 3 });
      expect(shaders()).toContain('saliency/actgrad_edges');
      expect(shaders()).not.toContain('saliency/actgrad_edges_split');
      for (const subgroups of [true, false]) {
        engine.kernels.forcedVariant = 'split';
        engine.kernels.subgroups = subgroups;
        compiled.mockClear();
        const split = await computeScores(engine, target, set, 'actgrad', { batchSize: 3 });
        expect(shaders()).toContain('saliency/actgrad_edges_split');
        expect(compiled.mock.calls.some((c) => c[0] === 'saliency/actgrad_edges_split' && c[1]?.SUBGROUPS === subgroups)).toBe(true);
        expect(split.edges.length).toBe(blocked.edges.length);
        const scale = blocked.edges.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale).toBeGreaterThan(0);
        blocked.edges.forEach((v, e) => expect(Math.abs(split.edges[e] - v)).toBeLessThanOrEqual(1e-5 * Math.abs(v) + 1e-6 * scale));
      }
      // A conv family forced for the bench is no saliency family: the reduction keeps its default.
      engine.kernels.forcedVariant = 'tiled';
      compiled.mockClear();
      await computeScores(engine, target, set, 'actgrad', { batchSize: 3 });
      expect(shaders()).toContain('saliency/actgrad_edges');
      expect(shaders()).not.toContain('saliency/actgrad_edges_split');
    } finally {
      engine.destroy();
    }
  });
});
