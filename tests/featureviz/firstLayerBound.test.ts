// The first-layer bound (tools/python/first_layer_bound.py, PyTorch): no image may beat it.
// Checked against the objective on fresh random images, black-and-white ones (where the
// maximum sits) and evaluation images, computed here by a direct convolution.

import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { edgeWeights } from '../../src/lib/featureviz/terms';
import { loadBuiltinModel, loadBuiltinImages, namedImageSet } from '../../tools/node/builtin';
import { rng, freshSeed } from '../helpers/random';

const model = loadBuiltinModel('fashion-vgg');
const objectives = ['channel:relu1_1:10', 'channel:relu1_1:27', 'edge:conv1_2:11:7'];

/** relu1_1 of n normalized images: a direct 3x3 convolution, zero padding, then ReLU. */
function relu1(images: Float32Array, n: number): Float64Array {
  const conv = model.layers.find((l) => l.name === 'conv1_1')!;
  const W = conv.params.weight, b = conv.params.bias!, C = conv.paramShapes.weight[0];
  const out = new Float64Array(n * C * 784);
  for (let k = 0; k < n; k++)
    for (let c = 0; c < C; c++)
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          let s = b[c];
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy >= 0 && yy < 28 && xx >= 0 && xx < 28) s += W[c * 9 + (dy + 1) * 3 + dx + 1] * images[k * 784 + yy * 28 + xx];
          }
          out[((k * C + c) * 28 + y) * 28 + x] = Math.max(0, s);
        }
  return out;
}

/** The three objectives on n normalized images. */
function values(images: Float32Array, n: number): number[][] {
  const relu = { data: relu1(images, n) };
  const plane = 28 * 28, per = relu.data.length / n;
  const edge = edgeWeights(model, model.layers.find((l) => l.name === 'conv1_2')!, 7, 11).weights;
  return Array.from({ length: n }, (_, k) => {
    const mean = (c: number) => { let s = 0; for (let q = 0; q < plane; q++) s += relu.data[k * per + c * plane + q]; return s / plane; };
    let e = 0;
    for (let f = 0; f < per; f++) e += edge[f] * relu.data[k * per + f];
    return [mean(10), mean(27), e];
  });
}

describe('first-layer bound', () => {
  it('is above the objective on random, black-and-white and evaluation images', () => {
    const r = spawnSync('/usr/bin/python3', ['tools/python/first_layer_bound.py', 'static/weights/fashion-vgg', ...objectives, '--json'], {
      encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 240_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const bound = JSON.parse(r.stdout) as Record<string, number>;
    const { mean, std } = model.input;
    const rand = rng(freshSeed());
    const n = 64;
    const pixels = new Float32Array(n * 784);
    for (let i = 0; i < pixels.length; i++) pixels[i] = i < pixels.length / 2 ? rand() : rand() < 0.5 ? 0 : 1;
    const random = values(Float32Array.from(pixels, (v) => (v - mean[0]) / std[0]), n);
    const set = namedImageSet(model, loadBuiltinImages('fashion-vgg'), 'all', 'evaluation');
    const dataset = values(set.images(0, 100), 100);
    objectives.forEach((o, j) => {
      const seen = Math.max(...random.map((v) => v[j]), ...dataset.map((v) => v[j]));
      expect(seen, o).toBeGreaterThan(0);
      expect(bound[o], `${o}: bound ${bound[o]}, best seen ${seen}`).toBeGreaterThanOrEqual(seen);
    });
  }, 300_000);
});
