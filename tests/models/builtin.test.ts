// Every built-in model in static/weights runs its evaluation images through the WGSL
// engine and agrees with PyTorch's predictions (written by the training pipeline) on at
// least 99.9% of them, with the same accuracy; truncated or mismatched weights are refused.

import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Engine } from '../../src/lib/engine/engine';
import { parseModel } from '../../src/lib/model/load';
import { ModelFormatError } from '../../src/lib/model/types';
import { testDevice } from '../helpers/gpu';
import { builtinModelNames, loadBuiltinModel, loadBuiltinImages, namedImageSet, WEIGHTS_DIR } from '../../tools/node/builtin';

const EXPECTED = ['digits', 'fashion-inception', 'fashion-small', 'fashion-vgg', 'fashion-vgg-sparse'];

describe('built-in models', () => {
  it('all five are present', () => {
    expect(builtinModelNames()).toEqual(EXPECTED);
  });

  for (const name of builtinModelNames()) {
    it(`${name}: the engine agrees with PyTorch on the evaluation images`, async () => {
      const model = loadBuiltinModel(name);
      const imgs = loadBuiltinImages(name);
      const preds = JSON.parse(readFileSync(`${WEIGHTS_DIR}${name}/predictions.json`, 'utf8'));
      const set = namedImageSet(model, imgs, 'all', 'evaluation');
      const engine = Engine.create(await testDevice(), model);
      try {
        const logits = await engine.logits(set.images(0, set.count), set.count);
        const C = model.classes.length;
        let agree = 0;
        let correct = 0;
        imgs.splits.evaluation.forEach((img, k) => {
          let best = 0;
          for (let c = 1; c < C; c++) if (logits[k * C + c] > logits[k * C + best]) best = c;
          if (best === preds.argmax[img]) agree++;
          if (best === imgs.labels[img]) correct++;
        });
        const n = imgs.splits.evaluation.length;
        console.log(`${name}: engine accuracy ${(correct / n * 100).toFixed(2)}% on ${n} evaluation images; agreement with PyTorch ${(agree / n * 100).toFixed(2)}%`);
        expect(agree / n).toBeGreaterThanOrEqual(0.999);
        expect(correct / n).toBeCloseTo(preds.evaluationAccuracy, 2);
      } finally {
        engine.destroy();
      }
    });
  }

  it('a truncated or mismatched weights.bin is refused with a clear message', () => {
    const json = JSON.parse(readFileSync(`${WEIGHTS_DIR}fashion-small/model.json`, 'utf8'));
    const w = readFileSync(`${WEIGHTS_DIR}fashion-small/weights.bin`);
    const weights = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
    expect(() => parseModel(json, weights.slice(0, weights.byteLength - 100))).toThrow(ModelFormatError);
    expect(() => parseModel(json, weights.slice(0, weights.byteLength - 100))).toThrow(/truncated file, or the wrong weights\.bin/);
    const other = readFileSync(`${WEIGHTS_DIR}digits/weights.bin`);
    expect(() => parseModel(json, other.buffer.slice(other.byteOffset, other.byteOffset + other.byteLength) as ArrayBuffer)).toThrow(/weights\.bin/);
  });
});
