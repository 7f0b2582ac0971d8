// Folds inference batchnorm into the conv2d that feeds it (and nothing else), so every
// edge of the graph is the kernel that really acts: W' = W * g/sqrt(v+eps),
// b' = (b - mean) * g/sqrt(v+eps) + beta. Consumers of the batchnorm then read the conv.

import type { Layer, Model } from './types';

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
