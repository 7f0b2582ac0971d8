// The warm-up objective of the first steps: a unit read through a ReLU also asks for a neuron
// of the map before that ReLU. A channel (or an edge, whose pre-sum map is zero wherever the
// channel it reads is) that is all zero on the grey start has no gradient; the pre-ReLU neuron
// has one through the live part of the network, so the warm-up term brings the channel to life,
// and the true objective takes over after the warm-up steps (settings.ts warmupSteps).

import type { Layer, Model } from '../model/types';
import { nodeShape } from '../model/types';
import type { Monomial, Objective, Term } from './objectives';
import { linearRuns } from './objectives';

/** The map an edge of layer `l` reads and its channel there; null when it reads the image. */
export function edgeInputChannel(model: Model, l: Layer, o: number, i: number): { layer: string; channel: number } | null {
  if (l.op === 'conv2d') {
    if (l.inputs[0] === model.input.name) return null;
    const [O, cinG] = l.paramShapes.weight;
    const groups = (l.attrs as { groups?: number }).groups ?? 1;
    return { layer: l.inputs[0], channel: Math.floor(o / (O / groups)) * cinG + i };
  }
  // A linear layer: one run per channel of the flattened map, else one feature per run.
  const features = l.paramShapes.weight[1];
  if (linearRuns(model, l).length - 1 !== features) {
    let src = model.layers.find((x) => x.name === l.inputs[0]);
    while (src && src.op !== 'flatten') src = model.layers.find((x) => x.name === src!.inputs[0]);
    if (!src || src.inputs[0] === model.input.name) return null;
    return { layer: src.inputs[0], channel: i };
  }
  return l.inputs[0] === model.input.name ? null : { layer: l.inputs[0], channel: i };
}

/** sum |W[o, i, ...]|: the weight that puts the channel's mean on the edge's own scale. */
export function edgeWeightNorm(model: Model, l: Layer, o: number, i: number): number {
  const W = l.params.weight;
  let lo: number, hi: number;
  if (l.op === 'linear') {
    const runs = linearRuns(model, l), F = l.paramShapes.weight[1];
    lo = o * F + runs[i]; hi = o * F + runs[i + 1];
  } else {
    const [, cinG, KH, KW] = l.paramShapes.weight;
    lo = (o * cinG + i) * KH * KW; hi = lo + KH * KW;
  }
  let s = 0;
  for (let k = lo; k < hi; k++) s += Math.abs(W[k]);
  return s;
}

/**
 * The map before the ReLU that `layer` reads through (looking through ReLUs, pooling, LRN and dropout,
 * which keep a channel's place), or null when there is no ReLU on the way.
 */
export function preReluMap(model: Model, layer: string): string | null {
  let l = model.layers.find((x) => x.name === layer);
  let relu = false;
  while (l && ['relu', 'maxpool', 'avgpool', 'adaptiveavgpool', 'lrn', 'dropout'].includes(l.op)) {
    if (l.op === 'relu') relu = true;
    const from = l.inputs[0];
    if (from === model.input.name) return null;
    l = model.layers.find((x) => x.name === from);
  }
  return relu && l ? l.name : null;
}

/**
 * The objective plus, for every monomial that is one channel or edge term read through a
 * ReLU, a warm-up term on the centre neuron of the map before that ReLU (a neuron comes alive
 * within a few steps where a map mean rises slowly): w * channel:L:c adds
 * (|w| / m) * neuron:P:c, w * edge:L:o:i adds (|w| sum|W[o,i]| / m) * neuron:P:c for the
 * channel the edge reads, m being the read map's plane, so that the warm-up term's gradient is
 * on the scale of one position of the true objective's. Null when nothing is added.
 */
export function warmupObjective(model: Model, objective: Objective): Objective | null {
  const added: Monomial[] = [];
  for (const m of objective.monomials) {
    const t = m.factors.length === 1 ? m.factors[0] : null;
    let read: { layer: string; channel: number } | null = null, weight = Math.abs(m.weight);
    if (t?.kind === 'channel') read = { layer: t.layer, channel: t.channel };
    else if (t?.kind === 'edge') {
      const l = model.layers.find((x) => x.name === t.layer)!;
      read = edgeInputChannel(model, l, t.out, t.input);
      weight *= edgeWeightNorm(model, l, t.out, t.input);
    }
    const pre = read && preReluMap(model, read.layer);
    if (!read || !pre || !(weight > 0)) continue;
    const readShape = nodeShape(model, read.layer), preShape = nodeShape(model, pre);
    const plane = readShape.length === 3 ? readShape[1] * readShape[2] : 1;
    const [y, x] = preShape.length === 3 ? [Math.floor(preShape[1] / 2), Math.floor(preShape[2] / 2)] : [0, 0];
    const neuron: Term = { kind: 'neuron', layer: pre, channel: read.channel, y, x };
    added.push({ weight: weight / plane, factors: [neuron] });
  }
  return added.length ? { monomials: [...objective.monomials, ...added] } : null;
}
