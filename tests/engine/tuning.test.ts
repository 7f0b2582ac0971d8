// The kernel-family tuner: with a fake clock it picks the fastest candidate that passes its
// check, never a faster one that fails, stores the choice per adapter and reuses it untimed;
// on the test adapter it tunes real conv shapes, whose sampled CPU oracle matches the reference.
import { describe, expect, it } from 'vitest';
import { chooseVariant, adapterKey, MemoryChoiceStore, type TuningCandidate } from '../../src/lib/engine/tuning';
import { tuneConvShape, convEntry, modelConvShapes, type ConvShape } from '../../src/lib/engine/tuningConv';
import { conv2dForward, conv2dBackward } from '../../src/lib/ops/reference/conv2d';
import { CONV_VARIANTS, convShapeClass, defaultConvVariant } from '../../src/lib/ops/conv2d';
import { Engine } from '../../src/lib/engine/engine';
import { Kernels } from '../../src/lib/engine/kernels';
import { BufferPool } from '../../src/lib/engine/bufferPool';
import { testDevice } from '../helpers/gpu';
import { freshSeed, rng, randomArray } from '../helpers/random';
import { buildModel } from '../helpers/build-model';

/** A clock that only moves when a fake candidate runs, by that candidate's cost. */
function fakeCandidates(spec: Record<string, { ms: number; passes: boolean }>) {
  let now = 0;
  const runs: Record<string, number> = {};
  const candidates: TuningCandidate[] = Object.entries(spec).map(([name, s]) => ({
    name,
    check: async () => s.passes,
    run: async () => {
      runs[name] = (runs[name] ?? 0) + 1;
      now += s.ms;
    },
  }));
  return { candidates, runs, clock: () => now };
}

describe('chooseVariant with a fake clock', () => {
  it('picks the fastest candidate that passes its check', async () => {
    const store = new MemoryChoiceStore();
    const f = fakeCandidates({ blocked: { ms: 5, passes: true }, tiled: { ms: 2, passes: true }, slow: { ms: 9, passes: true } });
    const r = await chooseVariant('conv:a', f.candidates, { store, adapterKey: 'gpu-A', clock: f.clock, budgetMs: 10 });
    expect(r.choice).toBe('tiled');
    expect(r.cached).toBe(false);
    expect(r.ms).toEqual({ blocked: 5, tiled: 2, slow: 9 });
    expect(store.entries.get('gpu-A|conv:a|blocked+slow+tiled')).toBe('tiled');
    expect(f.runs.tiled).toBeGreaterThanOrEqual(2);
  });

  it('never picks a faster candidate that fails its check', async () => {
    const store = new MemoryChoiceStore();
    const f = fakeCandidates({ blocked: { ms: 5, passes: true }, tiled: { ms: 1, passes: false } });
    const r = await chooseVariant('conv:a', f.candidates, { store, adapterKey: 'gpu-A', clock: f.clock });
    expect(r.choice).toBe('blocked');
    expect(r.failed).toEqual(['tiled']);
    expect(f.runs.tiled).toBeUndefined();
  });

  it('reuses the stored choice for the same adapter without timing, and times again on another adapter', async () => {
    const store = new MemoryChoiceStore();
    const first = fakeCandidates({ blocked: { ms: 3, passes: true }, tiled: { ms: 4, passes: true } });
    expect((await chooseVariant('conv:b', first.candidates, { store, adapterKey: 'gpu-A', clock: first.clock })).choice).toBe('blocked');

    const again = fakeCandidates({ blocked: { ms: 3, passes: true }, tiled: { ms: 1, passes: true } });
    const reused = await chooseVariant('conv:b', again.candidates, { store, adapterKey: 'gpu-A', clock: again.clock });
    expect(reused).toMatchObject({ choice: 'blocked', cached: true });
    expect(again.runs).toEqual({});

    const other = await chooseVariant('conv:b', again.candidates, { store, adapterKey: 'gpu-B', clock: again.clock });
    expect(other).toMatchObject({ choice: 'tiled', cached: false });
    expect(again.runs.tiled).toBeGreaterThan(0);
    expect(store.entries.get('gpu-B|conv:b|blocked+tiled')).toBe('tiled');
    expect(store.entries.get('gpu-A|conv:b|blocked+tiled')).toBe('blocked');
  });

  it('times a shape again when a family has been added since its choice was stored', async () => {
    const store = new MemoryChoiceStore();
    const before = fakeCandidates({ blocked: { ms: 3, passes: true }, tiled: { ms: 4, passes: true } });
    expect((await chooseVariant('conv:e', before.candidates, { store, adapterKey: 'gpu-A', clock: before.clock })).choice).toBe('blocked');
    const after = fakeCandidates({ blocked: { ms: 3, passes: true }, tiled: { ms: 4, passes: true }, gemm: { ms: 1, passes: true } });
    const r = await chooseVariant('conv:e', after.candidates, { store, adapterKey: 'gpu-A', clock: after.clock });
    expect(r).toMatchObject({ choice: 'gemm', cached: false });
    expect(after.runs.gemm).toBeGreaterThan(0);
    expect(store.entries.get('gpu-A|conv:e|blocked+gemm+tiled')).toBe('gemm');
  });

  it('keeps the preferred family unless another beats it by more than the margin', async () => {
    const close = fakeCandidates({ blocked: { ms: 5, passes: true }, tiled: { ms: 4.7, passes: true } });
    const r1 = await chooseVariant('conv:d', close.candidates, { store: new MemoryChoiceStore(), adapterKey: 'a', clock: close.clock, preferred: 'blocked' });
    expect(r1.choice).toBe('blocked');
    const clear = fakeCandidates({ blocked: { ms: 5, passes: true }, tiled: { ms: 4, passes: true } });
    const r2 = await chooseVariant('conv:d', clear.candidates, { store: new MemoryChoiceStore(), adapterKey: 'a', clock: clear.clock, preferred: 'blocked' });
    expect(r2.choice).toBe('tiled');
    const broken = fakeCandidates({ blocked: { ms: 5, passes: false }, tiled: { ms: 6, passes: true } });
    const r3 = await chooseVariant('conv:d', broken.candidates, { store: new MemoryChoiceStore(), adapterKey: 'a', clock: broken.clock, preferred: 'blocked' });
    expect(r3.choice).toBe('tiled');
  });

  it('stores nothing when no candidate passes', async () => {
    const store = new MemoryChoiceStore();
    const f = fakeCandidates({ blocked: { ms: 3, passes: false }, tiled: { ms: 4, passes: false } });
    const r = await chooseVariant('conv:c', f.candidates, { store, adapterKey: 'gpu-A', clock: f.clock });
    expect(r.choice).toBeNull();
    expect(store.entries.size).toBe(0);
  });

  it('names an adapter by vendor, architecture, device and description', () => {
    expect(adapterKey({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'H200' })).toBe('nvidia/hopper//H200');
    expect(adapterKey(undefined)).toBe('unknown-adapter');
  });
});

const SHAPES: ConvShape[] = [
  { batch: 2, inShape: [6, 9, 11], outShape: [4, 5, 6], g: { kernel: [3, 3], stride: [2, 2], padding: [1, 1], padEnd: [1, 2], dilation: [1, 1], groups: 2 } },
  { batch: 3, inShape: [5, 8, 7], outShape: [7, 4, 3], g: { kernel: [3, 2], stride: [1, 2], padding: [0, 0], dilation: [2, 1], groups: 1 } },
];

describe('conv tuning on the test adapter', () => {
  it("the tuner's sampled oracle matches the CPU reference on every entry", () => {
    const r = rng(freshSeed());
    for (const s of SHAPES) {
      const [C, H, W] = s.inShape, [O, OH, OW] = s.outShape;
      const x = randomArray(s.batch * C * H * W, r), w = randomArray(O * (C / s.g.groups) * s.g.kernel[0] * s.g.kernel[1], r);
      const dy = randomArray(s.batch * O * OH * OW, r);
      const p = { ...s, x, w, dy };
      const xT = { batch: s.batch, shape: s.inShape, data: Float64Array.from(x) };
      const y = conv2dForward(xT, w, undefined, s.outShape, s.g);
      const g = conv2dBackward(xT, w, false, { batch: s.batch, shape: s.outShape, data: Float64Array.from(dy) }, s.g);
      const entries = (pass: 'forward' | 'backwardInput' | 'backwardWeight', n: number) => Array.from({ length: n }, (_, i) => convEntry(p, pass, i).value);
      for (const [pass, ref] of [['forward', y.data], ['backwardInput', g.dx.data], ['backwardWeight', g.dw]] as const) {
        const got = entries(pass, ref.length);
        ref.forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-9 * (1 + Math.abs(v))));
      }
    }
  });

  it('chooses a family per pass that passes the check, records it, and reuses it untimed', async () => {
    const device = await testDevice();
    const pool = new BufferPool(device);
    const k = new Kernels(device, pool);
    const store = new MemoryChoiceStore();
    for (const s of SHAPES) {
      const results = await tuneConvShape(k, s, { store, adapterKey: 'test-adapter', budgetMs: 2 });
      for (const [pass, r] of Object.entries(results)) {
        expect(r.failed).toEqual([]);
        expect(Object.keys(r.ms).sort()).toEqual([...CONV_VARIANTS].sort());
        const [fastest, fastestMs] = Object.entries(r.ms).sort((a, b) => a[1] - b[1])[0];
        const preferred = defaultConvVariant(pass as 'forward', s.batch, s.inShape, s.outShape, s.g);
        expect(r.choice).toBe(fastestMs * 1.1 >= r.ms[preferred] ? preferred : fastest);
        expect(k.variantChoices.get(convShapeClass(pass as 'forward', s.batch, s.inShape, s.outShape, s.g))).toBe(r.choice);
      }
      const again = await tuneConvShape(k, s, { store, adapterKey: 'test-adapter' });
      for (const r of Object.values(again)) expect(r.cached).toBe(true);
    }
    expect(pool.inUseBytes).toBe(0);
  });

  it("with f16 weights (precision 'fast'): every family passes the f16-rounded oracle, under its own shape class", async () => {
    const device = await testDevice();
    const pool = new BufferPool(device);
    const k = new Kernels(device, pool);
    const store = new MemoryChoiceStore();
    for (const s of SHAPES) {
      const results = await tuneConvShape(k, s, { store, adapterKey: 'test-adapter', budgetMs: 1, minRuns: 1, maxRuns: 2 }, CONV_VARIANTS, true);
      expect(Object.keys(results).sort()).toEqual(['backwardInput', 'forward']);
      for (const [pass, r] of Object.entries(results)) {
        expect(r.failed, `${pass} ${s.inShape}`).toEqual([]);
        expect(Object.keys(r.ms).sort()).toEqual([...CONV_VARIANTS].sort());
        const key = convShapeClass(pass as 'forward', s.batch, s.inShape, s.outShape, s.g, true);
        expect(key).toMatch(/:f16$/);
        expect(k.variantChoices.get(key)).toBe(r.choice);
        expect(k.variantChoices.has(convShapeClass(pass as 'forward', s.batch, s.inShape, s.outShape, s.g))).toBe(false);
      }
    }
    expect(pool.inUseBytes).toBe(0);
  });

  it("Engine.tune in precision 'fast' tunes the f16 passes too, and the plans follow those choices", async () => {
    const model = buildModel('m', { channels: 3, height: 8, width: 8 }, [
      { name: 'c1', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [8, 3, 3, 3] } },
      { name: 'flat', op: 'flatten' },
      { name: 'fc', op: 'linear', params: { weight: [5, 512], bias: [5] } },
    ], 5);
    const engine = Engine.create(await testDevice(), model, { precision: 'fast', maxBatch: 2 });
    try {
      const store = new MemoryChoiceStore();
      await engine.tune({ store, adapterKey: 't', budgetMs: 1, minRuns: 1, maxRuns: 1 });
      const keys = [...engine.kernels.variantChoices.keys()];
      expect(keys.filter((key) => key.endsWith(':f16')).length).toBe(4); // forward and backward to input of c1 and fc
      expect(keys.filter((key) => !key.endsWith(':f16')).length).toBe(6);
      // A forced f16 choice reaches the plan: the forward of c1 runs the family its f16 key names.
      const key = keys.find((x) => x.startsWith('conv2d.forward:3x8x8') && x.endsWith(':f16'))!;
      engine.kernels.variantChoices.set(key, 'tiled');
      engine.forward(new Float32Array(2 * 3 * 64), 2);
      expect(engine.forwardDispatches.find((d) => d.label.startsWith('c1.'))!.pipeline.label).toMatch(/^conv2d\/forward_tiled\|.*"F16_WEIGHTS":true/);
    } finally {
      engine.destroy();
    }
  });

  it("lists a model's conv and linear shapes once per shape class", () => {
    const model = buildModel('m', { channels: 3, height: 8, width: 8 }, [
      { name: 'c1', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [4, 3, 3, 3] } },
      { name: 'c2', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [4, 4, 3, 3] } },
      { name: 'c3', op: 'conv2d', attrs: { kernel: [3, 3], padding: [1, 1] }, params: { weight: [4, 4, 3, 3] } },
      { name: 'flat', op: 'flatten' },
      { name: 'fc', op: 'linear', params: { weight: [5, 256], bias: [5] } },
    ], 5);
    const shapes = modelConvShapes(model, 4);
    expect(shapes.map((s) => [s.inShape, s.outShape])).toEqual([
      [[3, 8, 8], [4, 8, 8]], [[4, 8, 8], [4, 8, 8]], [[256, 1, 1], [5, 1, 1]],
    ]);
  });
});

describe('where choices live and which one applies', () => {
  it('Kernels: a forced family wins over a chosen one, which wins over the default', async () => {
    const k = new Kernels(await testDevice(), new BufferPool(await testDevice()));
    expect(k.variantFor('conv:x', 'blocked')).toBe('blocked');
    k.variantChoices.set('conv:x', 'tiled');
    expect(k.variantFor('conv:x', 'blocked')).toBe('tiled');
    expect(k.variantFor('conv:y', 'blocked')).toBe('blocked');
    k.forcedVariant = 'tiled64';
    expect(k.variantFor('conv:x', 'blocked')).toBe('tiled64');
  });

  it("the worker's store falls back to memory where there is no IndexedDB (Node)", async () => {
    const { kernelChoiceStore } = await import('../../src/lib/worker/kernelChoices');
    const store = kernelChoiceStore();
    expect(await store.get('a|x')).toBeUndefined();
    await store.set('a|x', 'tiled');
    expect(await store.get('a|x')).toBe('tiled');
  });
});

describe('FileChoiceStore', () => {
  it('keeps choices in a JSON file that a new store reads back', async () => {
    const { mkdtemp, readFile, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileChoiceStore } = await import('../../src/lib/engine/tuningFileStore');
    const path = join(await mkdtemp(join(tmpdir(), 'choices-')), 'sub', 'kernel-choices.json');
    expect(await new FileChoiceStore(path).get('a|x')).toBeUndefined();
    await new FileChoiceStore(path).set('a|x', 'tiled');
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ 'a|x': 'tiled' });
    expect(await new FileChoiceStore(path).get('a|x')).toBe('tiled');
    await writeFile(path, '[not json');
    expect(await new FileChoiceStore(path).get('a|x')).toBeUndefined();
  });
});
