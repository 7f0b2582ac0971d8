// Progressive scoring: partial scores arrive after the first batch and then as images stream,
// each is exactly the query over the images done so far, and the final scores and kept set
// equal, bit for bit, those of the same query without partial reports.

import { describe, it, expect } from 'vitest';
import { Engine } from '../../src/lib/engine/engine';
import type { Target } from '../../src/lib/engine/targets';
import { computeScores, graphOf, type Criterion, type Scores } from '../../src/lib/circuits/saliency';
import { extractCircuit } from '../../src/lib/circuits/circuit';
import { floatImageStream } from '../../src/lib/circuits/imageStream';
import { testDevice } from '../helpers/gpu';
import { loadFixture } from '../helpers/fixtures';
import { rng, randomArray } from '../helpers/random';

const f = loadFixture('alexnet-mini');
const model = f.model;
const per = 3 * 35 * 35;
const target: Target = { kind: 'featureMean', layer: 'conv3', channel: 1 };

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function expectSameScores(a: Scores, b: Scores) {
  expect(bits(a.edges)).toEqual(bits(b.edges));
  expect([...a.nodes.keys()]).toEqual([...b.nodes.keys()]);
  for (const [k, v] of a.nodes) expect(bits(v)).toEqual(bits(b.nodes.get(k)!));
  expect(a.images).toBe(b.images);
}

describe('progressive scoring', () => {
  for (const criterion of ['actgrad', 'actgrad-mean', 'snip'] as Criterion[]) {
    it(`${criterion}: partials are the query so far; the final result is bitwise the plain one`, async () => {
      const engine = Engine.create(await testDevice(), model);
      try {
        const g = graphOf(engine);
        const seed = 40 + criterion.length;
        const pixels = randomArray(7 * per, rng(seed), 1);
        const set = (n: number) => floatImageStream(`${n} images`, per, pixels.subarray(0, n * per));
        const plain = await computeScores(engine, target, set(7), criterion, { batchSize: 2 });
        const partials: { scores: Scores; done: number; total: number }[] = [];
        const progressive = await computeScores(engine, target, set(7), criterion, {
          batchSize: 2, partialIntervalMs: 0, onPartial: (scores, done, total) => partials.push({ scores, done, total }),
        });
        expectSameScores(progressive, plain);
        const cut = { keep: 0.25 };
        expect(extractCircuit(model, g, target, progressive, cut).kept).toEqual(extractCircuit(model, g, target, plain, cut).kept);
        // Every batch but the last reports (interval 0): after 2, 4 and 6 of 7 images.
        expect(partials.map((p) => [p.done, p.total])).toEqual([[2, 7], [4, 7], [6, 7]]);
        for (const p of partials) {
          const upTo = await computeScores(engine, target, set(p.done), criterion, { batchSize: 2 });
          expectSameScores(p.scores, upTo);
        }
        // A partial differs from the final answer (it has seen fewer images).
        expect(bits(partials[0].scores.edges)).not.toEqual(bits(plain.edges));
      } finally {
        engine.destroy();
      }
    });
  }

  it('a small first batch: partials after it, and the final scores bitwise those of the same batching without partials', async () => {
    const engine = Engine.create(await testDevice(), model);
    try {
      const set = floatImageStream('9 images', per, randomArray(9 * per, rng(5), 1));
      const plain = await computeScores(engine, target, set, 'actgrad', { batchSize: 4, firstBatch: 1 });
      const done: number[] = [];
      const progressive = await computeScores(engine, target, set, 'actgrad', { batchSize: 4, firstBatch: 1, partialIntervalMs: 0, onPartial: (_s, d) => done.push(d) });
      expect(done).toEqual([1, 5]);
      expectSameScores(progressive, plain);
    } finally {
      engine.destroy();
    }
  });

  it('throttles partial reports to the interval and sends none for a one-batch set', async () => {
    const engine = Engine.create(await testDevice(), model);
    try {
      const pixels = randomArray(6 * per, rng(7), 1);
      const set = floatImageStream('6 images', per, pixels);
      const slow: number[] = [];
      await computeScores(engine, target, set, 'actgrad', { batchSize: 1, partialIntervalMs: 1e9, onPartial: (_s, done) => slow.push(done) });
      expect(slow).toEqual([1]); // the first batch only: the next are within the interval
      const single: number[] = [];
      await computeScores(engine, target, set, 'actgrad', { batchSize: 6, partialIntervalMs: 0, onPartial: (_s, done) => single.push(done) });
      expect(single).toEqual([]);
    } finally {
      engine.destroy();
    }
  });
});
