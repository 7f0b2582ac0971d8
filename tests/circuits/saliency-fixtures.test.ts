// Saliency on the GPU against PyTorch (float64, the dissected-convolution way, per-image
// autograd): edge scores for actgrad, actgrad-mean, SNIP and magnitude, node scores,
// FORCE scores and masks at two keep fractions, and preservation of a circuit.
// Fixtures: tests/fixtures/<case>/saliency.{json,bin}, by tools/python/saliency_fixtures.py.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import type { Target } from '../../src/lib/engine/targets';
import { computeScores, graphOf, type Criterion } from '../../src/lib/circuits/saliency';
import { floatImageStream } from '../../src/lib/circuits/imageStream';
import { preservation } from '../../src/lib/circuits/preservation';
import { testDevice } from '../helpers/gpu';
import { loadFixture, toArrayBuffer } from '../helpers/fixtures';
import { expectClose } from '../helpers/compare';

/** f32 GPU vs float64 PyTorch, relative to each layer's largest score. */
const TOL = 1e-4;

function loadSaliency(name: string) {
  const dir = new URL(`../fixtures/${name}/`, import.meta.url);
  const meta = JSON.parse(readFileSync(new URL('saliency.json', dir), 'utf8'));
  const bin = toArrayBuffer(readFileSync(new URL('saliency.bin', dir)));
  const table = meta.tensors as Record<string, { shape: number[]; offset: number }>;
  const tensor = (t: string) => {
    const e = table[t];
    if (!e) throw new Error(`saliency fixture ${name} has no tensor "${t}"`);
    return new Float32Array(bin, e.offset, e.shape.reduce((a, b) => a * b, 1));
  };
  return { meta, tensor };
}

for (const name of ['alexnet-mini', 'branchnet']) {
  describe(`saliency vs PyTorch: ${name}`, () => {
    const f = loadFixture(name);
    const s = loadSaliency(name);
    const model = f.model;
    const per = model.input.channels * model.input.height * model.input.width;
    const scoring = floatImageStream('scoring', per, s.tensor('images/scoring'), s.meta.labels);
    const heldout = floatImageStream('heldout', per, s.tensor('images/heldout'), s.meta.heldoutLabels);

    for (const t of s.meta.targets as (Target & { id: string })[]) {
      it(`${t.id}: edge and node scores of every criterion`, async () => {
        const engine = Engine.create(await testDevice(), model);
        try {
          const g = graphOf(engine);
          for (const c of ['actgrad', 'actgrad-mean', 'snip', 'magnitude'] as Criterion[]) {
            const scores = await computeScores(engine, t, scoring, c);
            for (const sl of g.kernelLayers) {
              const got = scores.edges.subarray(sl.edgeStart, sl.edgeStart + sl.rows * sl.cols);
              expectClose(got, s.tensor(`${t.id}/edges/${c}/${sl.name}`), TOL, `${t.id} ${c} edges of ${sl.name}`);
              expectClose(scores.nodes.get(sl.name)!, s.tensor(`${t.id}/nodes/${c}/${sl.name}`), TOL, `${t.id} ${c} nodes of ${sl.name}`);
            }
          }
        } finally {
          engine.destroy();
        }
      });

      it(`${t.id}: FORCE at keep 0.1 and 0.3 (scores and the same top-k mask)`, async () => {
        const engine = Engine.create(await testDevice(), model);
        try {
          const g = graphOf(engine);
          for (const keep of ['0.1', '0.3']) {
            const scores = await computeScores(engine, t, scoring, 'force', { keep: Number(keep) });
            const N = scores.relevant.reduce((a, v) => a + v, 0);
            const k = Math.max(1, Math.round(Number(keep) * N));
            const order = Array.from(scores.edges.keys()).filter((e) => scores.relevant[e]).sort((a, b) => scores.edges[b] - scores.edges[a] || a - b);
            const mask = new Uint8Array(g.edgeCount);
            for (const e of order.slice(0, k)) mask[e] = 1;
            for (const sl of g.kernelLayers) {
              const range = [sl.edgeStart, sl.edgeStart + sl.rows * sl.cols] as const;
              expectClose(scores.edges.subarray(...range), s.tensor(`${t.id}/force/${keep}/scores/${sl.name}`), TOL, `${t.id} FORCE ${keep} scores of ${sl.name}`);
              expect(Array.from(mask.subarray(...range)), `${t.id} FORCE ${keep} mask of ${sl.name}`).toEqual(Array.from(s.tensor(`${t.id}/force/${keep}/mask/${sl.name}`)));
            }
          }
        } finally {
          engine.destroy();
        }
      });

      it(`${t.id}: preservation of the top-30% actgrad circuit`, async () => {
        const engine = Engine.create(await testDevice(), model);
        try {
          const g = graphOf(engine);
          const kept = new Uint8Array(g.edgeCount);
          for (const sl of g.kernelLayers) kept.set(s.tensor(`${t.id}/preservation/mask/${sl.name}`), sl.edgeStart);
          const p = await preservation(engine, t, kept, heldout);
          const [r, diff] = s.tensor(`${t.id}/preservation/actgrad-0.3`);
          expect(p.r).toBeCloseTo(r, 4);
          expect(p.meanAbsDiffOverStd).toBeCloseTo(diff, 3);
        } finally {
          engine.destroy();
        }
      });
    }
  });
}
