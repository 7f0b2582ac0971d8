// The model-file corpus: seeded mutations of the five built-in models and the two PyTorch fixture
// models (structure, numbers, tensor table, weights.bin, hostile names, batchnorm statistics where
// a model has batchnorm: branchnet) through the loader in Node. Each case
// either loads, with every weight finite, or fails with a ModelFormatError whose message names
// the problem in under 300 characters; never another exception, never over a second. The counts
// per kind, loaded and refused, are printed.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseModel } from '../../src/lib/model/load';
import { ModelFormatError } from '../../src/lib/model/types';
import { rng } from './payloads.mjs';
import { mutations, type ModelFiles } from './modelMutations';

/** Model folders: the built-in models and the fixtures (branchnet has batchnorm). */
const MODELS = [
  ...['fashion-small', 'fashion-vgg', 'fashion-vgg-sparse', 'digits', 'fashion-inception'].map((m) => `static/weights/${m}`),
  ...['branchnet', 'alexnet-mini'].map((m) => `tests/fixtures/${m}`),
];
const PER_KIND = { structure: 60, numbers: 60, 'tensor table': 40, 'weights.bin': 30, names: 30, batchnorm: 150 };

function builtIn(folder: string): ModelFiles {
  const dir = resolve(__dirname, '../..', folder);
  const bin = readFileSync(`${dir}/weights.bin`);
  return { json: JSON.parse(readFileSync(`${dir}/model.json`, 'utf8')), weights: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer };
}

describe('model-file corpus', () => {
  it('at least 1,000 mutations of the built-in models: a model or a clear ModelFormatError, each under a second', () => {
    const counts = new Map<string, { loaded: number; refused: number }>();
    let slowest = { ms: 0, what: '' };
    let longest = 0;
    MODELS.forEach((name, m) => {
      const r = rng(1900 + m);
      for (const mutation of mutations(builtIn(name), r, PER_KIND)) {
        const label = `${name.split('/').pop()}: ${mutation.kind}: ${mutation.what}`;
        const t0 = performance.now();
        let outcome: 'loaded' | 'refused';
        try {
          const model = parseModel(mutation.files.json, mutation.files.weights);
          for (const l of model.layers)
            for (const [p, data] of Object.entries(l.params)) expect(data.every(Number.isFinite), `${label}: ${l.name}.${p} not finite`).toBe(true);
          outcome = 'loaded';
        } catch (err) {
          expect(err, `${label}: ${(err as Error)?.stack}`).toBeInstanceOf(ModelFormatError);
          const message = (err as Error).message;
          expect(message.length, `${label}: ${message.slice(0, 400)}`).toBeGreaterThan(10);
          expect(message.length, `${label}: ${message.slice(0, 400)}`).toBeLessThan(300);
          longest = Math.max(longest, message.length);
          outcome = 'refused';
        }
        const ms = performance.now() - t0;
        expect(ms, label).toBeLessThan(1000);
        if (ms > slowest.ms) slowest = { ms, what: label };
        const c = counts.get(mutation.kind) ?? { loaded: 0, refused: 0 };
        c[outcome]++;
        counts.set(mutation.kind, c);
      }
    });
    const total = [...counts.values()].reduce((a, c) => a + c.loaded + c.refused, 0);
    console.log(
      `model corpus: ${total} mutations of ${MODELS.length} models: ${[...counts].map(([k, c]) => `${k} ${c.loaded + c.refused} (${c.refused} refused)`).join(', ')}; ` +
        `longest message ${longest} characters; slowest ${slowest.ms.toFixed(0)} ms (${slowest.what.slice(0, 80)})`,
    );
    expect(total).toBeGreaterThanOrEqual(1000);
  });
});
