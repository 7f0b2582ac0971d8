// Engine.tune end to end: with stored choices naming the workgroup-tiled family for every conv
// and linear shape, the engine's plans run the tiled kernels, and every layer's output, the
// input gradient and every parameter gradient still match the PyTorch (float64) fixtures.
import { describe, it, expect, vi } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import type { ChoiceStore } from '../../src/lib/engine/tuning';
import type { Model } from '../../src/lib/model/types';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { loadFixture } from '../helpers/fixtures';
import { expectClose } from '../helpers/compare';

const TOL = 1e-4;

/** A store that has "tiled" for every key and counts its reads. */
function everythingTiled(): ChoiceStore & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async get(key) { reads.push(key); return 'tiled'; },
    async set() { throw new Error('a stored choice must not be timed again'); },
  };
}

const nodeOf = (m: Model, node: string) => Object.entries(m.foldedInto ?? {}).find(([, conv]) => conv === node)?.[0] ?? node;

describe('Engine.tune with stored choices (tiled family)', () => {
  for (const name of ['alexnet-mini', 'branchnet']) {
    it(`${name}: the plans use the tiled kernels and match PyTorch`, async () => {
      const f = loadFixture(name);
      const model = f.model;
      const device = await testDevice();
      const engine = Engine.create(device, model);
      try {
        const store = everythingTiled();
        await engine.tune({ store, adapterKey: 'test', batch: f.batch });
        const convLayers = model.layers.filter((l) => l.op === 'conv2d' || l.op === 'linear');
        expect(store.reads.length).toBeGreaterThanOrEqual(3);
        expect(engine.kernels.variantChoices.size).toBe(store.reads.length);
        expect([...engine.kernels.variantChoices.values()].every((v) => v === 'tiled')).toBe(true);
        const compiled = vi.spyOn(engine.kernels, 'pipeline');
        await expectNoGpuErrors(device, async () => {
          engine.forward(f.tensor('input'), f.batch);
          for (const l of model.layers) expectClose(await engine.read(l.name), f.tensor(`forward/${nodeOf(model, l.name)}`), TOL, `${name} forward ${l.name}`);
          const folded = new Set(Object.values(model.foldedInto ?? {}));
          for (const t of f.targets) {
            engine.backward(t, { labels: f.labels, weightGrads: t.perImage ? 'perImage' : 'sum' });
            expectClose((await engine.readGrad('input')) as Float32Array, f.tensor(`grad/${t.id}/input`), TOL, `${name} ${t.id}: input gradient`);
            for (const l of convLayers) {
              if (folded.has(l.name) || !(await engine.readGrad(l.name))) continue;
              const expected = f.tensor(`grad/${t.id}/${t.perImage ? 'perimage' : 'param'}/${l.name}.weight`);
              expectClose(await engine.readParamGrad(l.name, 'weight'), expected, TOL, `${name} ${t.id}: d/d ${l.name}.weight`);
            }
          }
        });
        const shaders = new Set(compiled.mock.calls.map((c) => c[0]));
        for (const s of ['conv2d/forward_tiled', 'conv2d/backward_input_tiled', 'conv2d/backward_weight_tiled']) expect(shaders).toContain(s);
        expect(shaders).not.toContain('conv2d/forward');
      } finally {
        engine.destroy();
      }
    });
  }
});
