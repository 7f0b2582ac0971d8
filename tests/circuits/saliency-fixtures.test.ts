// Saliency on the GPU against PyTorch (float64, the dissected-convolution way, per-image
// autograd), under the seed's conventions: edge scores for actgrad, actgrad-mean, SNIP and
// magnitude and node scores (weight criteria: the mean of the incoming kernels), for node
// targets after and before the activation, a logit and the loss; FORCE's scores, schedule and
// masks at two keep fractions with only conv kernels pruned and with linear ones too; the
// top-30% circuit (k = ceil) before and after the effective mask; and its preservation.
// Fixtures: tests/fixtures/<case>/saliency.{json,bin}, by tools/python/saliency_fixtures.py.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import type { Target } from '../../src/lib/engine/targets';
import { computeScores, graphOf, type Criterion } from '../../src/lib/circuits/saliency';
import { floatImageStream } from '../../src/lib/circuits/imageStream';
import { preservation } from '../../src/lib/circuits/preservation';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { prunableEdges } from '../../src/lib/circuits/relevance';
import { keepCount, topEdges } from '../../src/lib/circuits/ranking';
import { parseTarget } from '../../src/lib/circuits/querySpec';
import { testDevice } from '../helpers/gpu';
import { loadFixture, toArrayBuffer } from '../helpers/fixtures';
import { expectClose } from '../helpers/compare';

/** A fixture target: the engine's target plus what PyTorch found for it. */
type Outcome = { N: number; schedule: number[] };
type FixtureTarget = Target & {
  id: string;
  /** The target as a link writes it, e.g. node:conv2:3 (after the activation) or node:conv2:3:pre. */
  query: string;
  layer?: string;
  channel?: number;
  class?: number;
  force: Record<string, Record<string, Outcome>>;
  cut: Record<string, Record<string, { dead: boolean; prunableKeptAfter: number }>>;
};

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

    for (const t of s.meta.targets as FixtureTarget[]) {
      it(`${t.id}: the link's target "${t.query}" parses to the map PyTorch differentiated`, () => {
        const parsed = parseTarget(t.query, model);
        expect(parsed).toEqual(t.kind === 'loss' ? { kind: 'loss' } : t.kind === 'classLogit' ? { kind: 'classLogit', class: t.class } : { kind: t.kind, layer: t.layer, channel: t.channel });
      });

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

      it(`${t.id}: FORCE at keep 0.1 and 0.3, conv kernels pruned and linear too (scores, schedule and the same top-k mask)`, async () => {
        const engine = Engine.create(await testDevice(), model);
        try {
          const g = graphOf(engine);
          for (const keep of ['0.1', '0.3']) {
            for (const linear of [0, 1]) {
              const at = `${t.id}/force/${keep}/linear${linear}`;
              const scores = await computeScores(engine, t, scoring, 'force', { keep: Number(keep), linear: linear === 1 });
              const prunable = prunableEdges(g, scores.relevant, linear === 1);
              const N = prunable.reduce((a, v) => a + v, 0);
              expect(scores.schedule, `${at} schedule`).toEqual(t.force[keep][`linear${linear}`].schedule);
              expect(N).toBe(t.force[keep][`linear${linear}`].N);
              // the fixture's rule: top ceil(keep * N) prunable kernels by the final scores, plus every relevant kernel not pruned
              const mask = Uint8Array.from(scores.relevant, (r, e) => (r && !prunable[e] ? 1 : 0));
              for (const e of topEdges(scores.edges, prunable, keepCount(Number(keep), N))) mask[e] = 1;
              for (const sl of g.kernelLayers) {
                const range = [sl.edgeStart, sl.edgeStart + sl.rows * sl.cols] as const;
                expectClose(scores.edges.subarray(...range), s.tensor(`${at}/scores/${sl.name}`), TOL, `${at} scores of ${sl.name}`);
                expectClose(scores.nodes.get(sl.name)!, s.tensor(`${at}/nodes/${sl.name}`), TOL, `${at} nodes of ${sl.name}`);
                expect(Array.from(mask.subarray(...range)), `${at} mask of ${sl.name}`).toEqual(Array.from(s.tensor(`${at}/mask/${sl.name}`)));
              }
            }
          }
        } finally {
          engine.destroy();
        }
      });

      it(`${t.id}: the top-30% actgrad circuit per layer, before and after the effective mask, with and without linear pruning`, async () => {
        const engine = Engine.create(await testDevice(), model);
        try {
          const g = graphOf(engine);
          const scores = await computeScores(engine, t, scoring, 'actgrad');
          for (const linear of [0, 1]) {
            const at = `${t.id}/cut/actgrad/0.3/linear${linear}`;
            const c = extractCircuit(model, g, t, scores, { keep: 0.3, perLayer: true, linear: linear === 1 });
            const expected = t.cut['actgrad/0.3'][`linear${linear}`];
            expect(c.dead).toBe(expected.dead);
            expect(c.kernelsKept, `${at} prunable kernels kept`).toBe(expected.prunableKeptAfter);
            for (const sl of g.kernelLayers) {
              const range = [sl.edgeStart, sl.edgeStart + sl.rows * sl.cols] as const;
              expect(Array.from(c.keptBeforeEffective.subarray(...range)), `${at} before, ${sl.name}`).toEqual(Array.from(s.tensor(`${at}/before/${sl.name}`)));
              expect(Array.from(c.kept.subarray(...range)), `${at} after, ${sl.name}`).toEqual(Array.from(s.tensor(`${at}/after/${sl.name}`)));
            }
          }
        } finally {
          engine.destroy();
        }
      });

      it(`${t.id}: preservation of that circuit (linear layers whole)`, async () => {
        const engine = Engine.create(await testDevice(), model);
        try {
          const g = graphOf(engine);
          const kept = new Uint8Array(g.edgeCount);
          for (const sl of g.kernelLayers) kept.set(s.tensor(`${t.id}/cut/actgrad/0.3/linear0/after/${sl.name}`), sl.edgeStart);
          const p = await preservation(engine, t, kept, heldout);
          const [r, diff, collapsed] = s.tensor(`${t.id}/preservation/actgrad/0.3/linear0`);
          expect(p.collapsed).toBe(collapsed === 1);
          expect(p.r).toBeCloseTo(r, 4);
          expect(p.meanAbsDiffOverStd).toBeCloseTo(diff, 3);
        } finally {
          engine.destroy();
        }
      });
    }
  });
}
