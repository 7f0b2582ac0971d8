// The GPU engine and the CPU reference network against PyTorch (float64) fixtures:
// every layer's forward output, and for six targets the gradient at every layer, at the
// input, of every parameter (summed over the batch) and of every kernel per image.
// Models are run both with batchnorm folded into its conv (the default) and unfolded.

import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import { cpuForward, cpuBackward } from '../../src/lib/cpu/reference';
import type { Model } from '../../src/lib/model/types';
import { testDevice, expectNoGpuErrors } from '../helpers/gpu';
import { loadFixture, type Fixture } from '../helpers/fixtures';
import { expectClose } from '../helpers/compare';

/** f32 GPU results vs float64 PyTorch, relative to each tensor's largest magnitude. */
const TOL = 1e-4;

/** The fixture's name for an engine node (a folded batchnorm's output is its conv's). */
function fixtureNode(model: Model, node: string): string {
  const folded = Object.entries(model.foldedInto ?? {}).find(([, conv]) => conv === node);
  return folded ? folded[0] : node;
}

async function checkEngine(f: Fixture, model: Model, label: string) {
  const device = await testDevice();
  const engine = Engine.create(device, model);
  try {
    await expectNoGpuErrors(device, async () => {
      engine.forward(f.tensor('input'), f.batch);
      for (const l of model.layers) {
        expectClose(await engine.read(l.name), f.tensor(`forward/${fixtureNode(model, l.name)}`), TOL, `${label} forward ${l.name}`);
      }
      const foldedConvs = new Set(Object.values(model.foldedInto ?? {}));
      for (const t of f.targets) {
        engine.backward(t, { labels: f.labels, weightGrads: t.perImage ? 'perImage' : 'sum' });
        expectClose(await engine.readGrad('input') as Float32Array, f.tensor(`grad/${t.id}/input`), TOL, `${label} ${t.id}: input gradient`);
        const values = await engine.readTargetValues();
        expect(values.length).toBe(f.batch);
        for (const l of model.layers) {
          const g = await engine.readGrad(l.name);
          const expected = f.tensor(`grad/${t.id}/${fixtureNode(model, l.name)}`);
          if (g) expectClose(g, expected, TOL, `${label} ${t.id}: gradient at ${l.name}`);
          else expect(expected.every((v) => v === 0), `${label} ${t.id}: ${l.name} is not upstream but PyTorch has a gradient`).toBe(true);
        }
        if (t.perImage) continue;
        for (const l of model.layers) {
          if (foldedConvs.has(l.name)) continue;
          for (const p of Object.keys(l.params)) {
            if (p === 'runningMean' || p === 'runningVar') continue;
            const upstream = await engine.readGrad(l.name);
            if (!upstream) continue;
            expectClose(await engine.readParamGrad(l.name, p), f.tensor(`grad/${t.id}/param/${l.name}.${p}`), TOL, `${label} ${t.id}: d/d ${l.name}.${p}`);
          }
        }
      }
      // Per-image kernel gradients, and their sums.
      for (const t of f.targets.filter((t) => t.perImage)) {
        engine.backward(t, { labels: f.labels, weightGrads: 'perImage' });
        for (const l of model.layers) {
          if (foldedConvs.has(l.name) || !(l.op === 'conv2d' || l.op === 'linear')) continue;
          if (!(await engine.readGrad(l.name))) continue;
          expectClose(await engine.readParamGrad(l.name, 'weight'), f.tensor(`grad/${t.id}/perimage/${l.name}.weight`), TOL, `${label} ${t.id}: per-image d/d ${l.name}.weight`);
        }
        engine.backward(t, { labels: f.labels, weightGrads: 'sum' });
        for (const l of model.layers) {
          if (foldedConvs.has(l.name) || !(await engine.readGrad(l.name))) continue;
          for (const p of Object.keys(l.params)) {
            if (p === 'runningMean' || p === 'runningVar') continue;
            expectClose(await engine.readParamGrad(l.name, p), f.tensor(`grad/${t.id}/param/${l.name}.${p}`), TOL, `${label} ${t.id}: d/d ${l.name}.${p}`);
          }
        }
      }
    });
  } finally {
    engine.destroy();
  }
}

function checkCpuReference(f: Fixture, model: Model, label: string) {
  const fwd = cpuForward(model, f.tensor('input'), f.batch);
  for (const l of model.layers) {
    expectClose(fwd.values.get(l.name)!.data, f.tensor(`forward/${fixtureNode(model, l.name)}`), 1e-5, `${label} CPU forward ${l.name}`);
  }
  for (const t of f.targets) {
    const b = cpuBackward(model, fwd, t, f.labels);
    expectClose(b.grads.get(model.input.name)!.data, f.tensor(`grad/${t.id}/input`), 1e-5, `${label} CPU ${t.id}: input gradient`);
    for (const [key, g] of b.paramGrads) {
      const layer = key.slice(0, key.lastIndexOf('.'));
      if (Object.values(model.foldedInto ?? {}).includes(layer)) continue;
      expectClose(g, f.tensor(`grad/${t.id}/param/${key}`), 1e-5, `${label} CPU ${t.id}: d/d ${key}`);
    }
  }
}

for (const name of ['alexnet-mini', 'branchnet']) {
  describe(`PyTorch fixture ${name}`, () => {
    const f = loadFixture(name);
    it('CPU reference matches PyTorch (batchnorm unfolded)', () => checkCpuReference(f, f.unfolded, 'unfolded'));
    it('CPU reference matches PyTorch (batchnorm folded)', () => checkCpuReference(f, f.model, 'folded'));
    it('GPU engine matches PyTorch (batchnorm folded)', () => checkEngine(f, f.model, 'folded'));
    it('GPU engine matches PyTorch (batchnorm unfolded)', () => checkEngine(f, f.unfolded, 'unfolded'));
  });
}
