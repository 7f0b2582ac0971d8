// The warm-up objective of the first steps: a unit read through a ReLU also asks for a neuron
// of the map before that ReLU. A channel (or an edge, whose pre-sum map is zero wherever the
// channel it reads is) that is all zero on the grey start has no gradient; the pre-ReLU neuron
// has one through the live part of the network, so the warm-up term brings the channel to life,
// and the true objective takes over after the warm-up steps (settings.ts warmupSteps).

import type { Layer, Model } from '../model/types';
import { nodeShape } from '../model/types';
import type { Monomial, Objective, Term } from './objectives';
import { linearRuns } from './objectives';
import { edgeWeights } from './terms';

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

/**
 * The position of the read channel where the edge's objective, a linear functional of that
 * channel (terms.ts edgeWeights), has its largest coefficient times `sign`, and that
 * coefficient. An interior position of a conv edge has (1/m) sum W[o, i]; near the border only
 * the taps that fall inside count, so a kernel whose weights sum below 0 may still gain from a
 * border position. A coefficient <= 0 everywhere means the edge is best silenced.
 */
export function edgeBestPosition(model: Model, l: Layer, o: number, i: number, sign: number): { y: number; x: number; coefficient: number } {
  const { weights } = edgeWeights(model, l, o, i);
  // The channel's coefficients: a linear layer's input run, or the conv input's channel plane.
  const read = edgeInputChannel(model, l, o, i);
  if (!read && l.op === 'conv2d') throw new RangeError(`edge ${l.name}:${o}:${i} reads the image, which has no ReLU to warm up`);
  const shape = read ? nodeShape(model, read.layer) : [];
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  const [lo, hi] = l.op === 'linear' ? linearRuns(model, l).slice(i, i + 2) : [read!.channel * plane, (read!.channel + 1) * plane];
  const width = shape.length === 3 && hi - lo === plane ? shape[2] : hi - lo;
  let best = lo;
  for (let f = lo; f < hi; f++) if (sign * weights[f] > sign * weights[best]) best = f;
  return { y: Math.floor((best - lo) / width), x: (best - lo) % width, coefficient: sign * weights[best] };
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
 * ReLU, a warm-up term on a neuron of the map before that ReLU (a neuron comes alive within a
 * few steps where a map mean rises slowly), weighted like one position of the true objective:
 * w * channel:L:c adds (|w| / m) * neuron:P:c at the centre, m being the plane of L;
 * w * edge:L:o:i adds |w| c * neuron:P:c' at the position of the read channel c' where the
 * edge's functional has its largest coefficient c times sign(w) (edgeBestPosition), and
 * nothing when c <= 0, since such an edge is best left silent. Null when nothing is added.
 */
export function warmupObjective(model: Model, objective: Objective): Objective | null {
  const added: Monomial[] = [];
  for (const m of objective.monomials) {
    const t = m.factors.length === 1 ? m.factors[0] : null;
    let read: { layer: string; channel: number } | null = null, weight = 0, at: [number, number] = [0, 0];
    if (t?.kind === 'channel') {
      read = { layer: t.layer, channel: t.channel };
      const s = nodeShape(model, t.layer);
      weight = Math.abs(m.weight) / (s.length === 3 ? s[1] * s[2] : 1);
      if (s.length === 3) at = [Math.floor(s[1] / 2), Math.floor(s[2] / 2)];
    } else if (t?.kind === 'edge') {
      const l = model.layers.find((x) => x.name === t.layer)!;
      read = edgeInputChannel(model, l, t.out, t.input);
      if (read) {
        const best = edgeBestPosition(model, l, t.out, t.input, Math.sign(m.weight));
        weight = Math.abs(m.weight) * best.coefficient;
        at = [best.y, best.x];
      }
    }
    const pre = read && preReluMap(model, read.layer);
    if (!read || !pre || !(weight > 0)) continue;
    // The read map's position, scaled to the pre-ReLU map (pooling may lie between them).
    const readShape = nodeShape(model, read.layer), preShape = nodeShape(model, pre);
    const [y, x] = preShape.length !== 3 ? [0, 0]
      : readShape.length !== 3 ? [Math.floor(preShape[1] / 2), Math.floor(preShape[2] / 2)]
      : [0, 1].map((d) => Math.min(preShape[d + 1] - 1, Math.floor((at[d] * preShape[d + 1]) / readShape[d + 1])));
    const neuron: Term = { kind: 'neuron', layer: pre, channel: read.channel, y, x };
    added.push({ weight, factors: [neuron] });
  }
  return added.length ? { monomials: [...objective.monomials, ...added] } : null;
}
