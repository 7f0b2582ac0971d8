// Folds inference batchnorm into the conv2d that feeds it (and nothing else), so every
// edge of the graph is the kernel that really acts: W' = W * g/sqrt(v+eps),
// b' = (b - mean) * g/sqrt(v+eps) + beta. Consumers of the batchnorm then read the conv.
// Every batchnorm's statistics are checked first (variance >= 0, a finite float32 scale), and
// every folded weight after: a file cannot smuggle NaN or Infinity in through folding.

import { ModelFormatError, type Layer, type Model } from './types';
import { bounded, named } from './limits';

const fail = (msg: string): never => {
  throw new ModelFormatError(bounded(msg));
};

/** A batchnorm's statistics as the GPU uses them: variance >= 0, g/sqrt(v+eps) and the shift finite in float32. */
export function checkBatchnorm(layer: Layer): void {
  const { weight: g, bias: beta, runningMean: mean, runningVar: v } = layer.params;
  const eps = layer.attrs.eps as number;
  const where = `layer ${named(layer.name)} (batchnorm)`;
  for (let c = 0; c < v.length; c++) {
    if (!(v[c] >= 0)) fail(`${where}: runningVar is ${v[c]} at channel ${c}; a variance must be >= 0`);
    const scale = g[c] / Math.sqrt(v[c] + Math.fround(eps));
    const shift = beta[c] - mean[c] * scale;
    if (!Number.isFinite(Math.fround(scale)))
      fail(`${where}: at channel ${c}, weight / sqrt(runningVar + eps) = ${g[c]} / sqrt(${v[c]} + ${eps}) is not a finite float32`);
    if (!Number.isFinite(Math.fround(shift)))
      fail(`${where}: at channel ${c}, bias - runningMean * scale = ${beta[c]} - ${mean[c]} * ${scale} is not a finite float32`);
  }
}

/** The folded kernels and biases must be finite float32, as every weight read from the file is. */
function checkFolded(conv: Layer, bn: Layer, w: Float32Array, b: Float32Array): void {
  for (const [param, data] of [['weight', w], ['bias', b]] as const) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        fail(`layer ${named(conv.name)} (${conv.op}) with batchnorm ${named(bn.name)} folded in: ${param} element ${i} becomes ${data[i]}; folded weights must be finite`);
    }
  }
}

export function foldBatchnorms(model: Model): Model {
  const consumers = new Map<string, number>();
  for (const l of model.layers) for (const i of l.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  const renamed = new Map<string, string>();
  const folded = new Set<string>();
  const replaced = new Map<string, Layer>();

  for (const bn of model.layers) {
    if (bn.op !== 'batchnorm') continue;
    const conv = byName.get(bn.inputs[0]);
    const slidingKernels = conv?.flow.kind === 'kernels' && conv.flow.window !== 'whole';
    if (!conv || !slidingKernels || consumers.get(conv.name) !== 1 || conv.name === model.output) continue;
    const eps = bn.attrs.eps as number;
    const { weight: g, bias: beta, runningMean: mean, runningVar: v } = bn.params;
    const O = conv.shape[0];
    const per = conv.params.weight.length / O;
    const w = new Float32Array(conv.params.weight.length);
    const b = new Float32Array(O);
    for (let o = 0; o < O; o++) {
      const a = g[o] / Math.sqrt(v[o] + eps);
      for (let i = 0; i < per; i++) w[o * per + i] = conv.params.weight[o * per + i] * a;
      b[o] = ((conv.params.bias ? conv.params.bias[o] : 0) - mean[o]) * a + beta[o];
    }
    checkFolded(conv, bn, w, b);
    replaced.set(conv.name, {
      ...conv,
      params: { weight: w, bias: b },
      paramShapes: { weight: conv.paramShapes.weight, bias: [O] },
    });
    renamed.set(bn.name, conv.name);
    folded.add(bn.name);
  }
  if (folded.size === 0) return model;
  const layers = model.layers
    .filter((l) => !folded.has(l.name))
    .map((l) => replaced.get(l.name) ?? l)
    .map((l) => ({ ...l, inputs: l.inputs.map((i) => renamed.get(i) ?? i) }));
  return { ...model, layers, output: renamed.get(model.output) ?? model.output, foldedInto: Object.fromEntries(renamed) } as Model;
}
