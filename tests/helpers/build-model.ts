// Builds models in memory (model.json object + weights.bin) from a compact layer list,
// with seeded random weights: for tests at sizes no fixture could ship.

import { parseModel } from '../../src/lib/model/load';
import type { Model } from '../../src/lib/model/types';
import { rng } from './random';

export interface LayerSpec {
  name: string;
  op: string;
  inputs?: string[];
  attrs?: Record<string, unknown>;
  /** Parameter shapes: weight, bias, ... */
  params?: Record<string, number[]>;
}

export function buildModel(
  name: string,
  input: { channels: number; height: number; width: number },
  layers: LayerSpec[],
  classes: number,
  seed = 1,
): Model {
  const r = rng(seed);
  const tensors: Record<string, { shape: number[]; offset: number }> = {};
  const chunks: Float32Array[] = [];
  let offset = 0;
  let prev = 'input';
  const jsonLayers = layers.map((l) => {
    const params: Record<string, string> = {};
    for (const [p, shape] of Object.entries(l.params ?? {})) {
      const n = shape.reduce((a, b) => a * b, 1);
      const fanIn = shape.length > 1 ? n / shape[0] : 1;
      const scale = p === 'bias' ? 0.05 : Math.sqrt(6 / fanIn); // He-like, keeps activations O(1)
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (r() * 2 - 1) * scale;
      tensors[`${l.name}.${p}`] = { shape, offset };
      offset += n * 4;
      chunks.push(data);
      params[p] = `${l.name}.${p}`;
    }
    const inputs = l.inputs ?? [prev];
    prev = l.name;
    return { name: l.name, op: l.op, inputs, attrs: l.attrs ?? {}, params };
  });
  const weights = new Float32Array(offset / 4);
  let at = 0;
  for (const c of chunks) {
    weights.set(c, at);
    at += c.length;
  }
  const json = {
    format: 'cnn-microscope/1',
    name,
    input: { name: 'input', ...input, mean: new Array(input.channels).fill(0), std: new Array(input.channels).fill(1) },
    classes: Array.from({ length: classes }, (_, i) => `class ${i}`),
    layers: jsonLayers,
    output: prev,
    tensors,
  };
  return parseModel(json, weights.buffer);
}

/** AlexNet as in torchvision (one-tower, with the original LRN), 224x224 RGB, 1000 classes. */
export function alexnetFullSize(seed = 7): Model {
  const conv = (name: string, cin: number, cout: number, k: number, s: number, p: number, inputs?: string[]): LayerSpec => ({
    name, op: 'conv2d', inputs, attrs: { kernel: [k, k], stride: [s, s], padding: [p, p] }, params: { weight: [cout, cin, k, k], bias: [cout] },
  });
  return buildModel('alexnet-random', { channels: 3, height: 224, width: 224 }, [
    conv('conv1', 3, 64, 11, 4, 2), { name: 'relu1', op: 'relu' }, { name: 'lrn1', op: 'lrn', attrs: { size: 5, alpha: 1e-4, beta: 0.75, k: 2 } },
    { name: 'pool1', op: 'maxpool', attrs: { kernel: [3, 3], stride: [2, 2] } },
    conv('conv2', 64, 192, 5, 1, 2), { name: 'relu2', op: 'relu' }, { name: 'lrn2', op: 'lrn', attrs: { size: 5, alpha: 1e-4, beta: 0.75, k: 2 } },
    { name: 'pool2', op: 'maxpool', attrs: { kernel: [3, 3], stride: [2, 2] } },
    conv('conv3', 192, 384, 3, 1, 1), { name: 'relu3', op: 'relu' },
    conv('conv4', 384, 256, 3, 1, 1), { name: 'relu4', op: 'relu' },
    conv('conv5', 256, 256, 3, 1, 1), { name: 'relu5', op: 'relu' },
    { name: 'pool5', op: 'maxpool', attrs: { kernel: [3, 3], stride: [2, 2] } },
    { name: 'avgpool', op: 'adaptiveavgpool', attrs: { output: [6, 6] } },
    { name: 'flatten', op: 'flatten' }, { name: 'drop6', op: 'dropout', attrs: { p: 0.5 } },
    { name: 'fc6', op: 'linear', params: { weight: [4096, 9216], bias: [4096] } }, { name: 'relu6', op: 'relu' },
    { name: 'drop7', op: 'dropout', attrs: { p: 0.5 } },
    { name: 'fc7', op: 'linear', params: { weight: [4096, 4096], bias: [4096] } }, { name: 'relu7', op: 'relu' },
    { name: 'fc8', op: 'linear', params: { weight: [1000, 4096], bias: [1000] } },
  ], 1000, seed);
}
