// The warm-up objective of the first steps: a unit read through a ReLU also asks for a grid of
// neurons of the map before that ReLU. A channel (or an edge, whose pre-sum map is zero wherever
// the channel it reads is) that is all zero on the grey start has no gradient; the pre-ReLU
// neurons have one through the live part of the network, so the warm-up brings the channel to life,
// and the true objective takes over after the warm-up steps (settings.ts warmupSteps).

import type { Layer, Model } from '../model/types';
import { nodeShape } from '../model/types';
import type { Monomial, Objective } from './objectives';
import { kernelLayerNamed, linearRuns } from './objectives';
import { buildGraph } from '../graph/build';
import { planeChannelOf } from '../graph/walks';
import { edgeWeights } from './terms';

/** The map an edge of layer `l` reads and its channel there (through a flatten); null when it reads the image. */
export function edgeInputChannel(model: Model, l: Layer, o: number, i: number): { layer: string; channel: number } | null {
  const g = buildGraph(model);
  const k = kernelLayerNamed(model, l.name);
  const read = planeChannelOf(g, g.edgeFrom[k.edgeStart + o * k.cols + i]);
  return read.layer === model.input.name ? null : read;
}

/**
 * The edge's objective as a linear functional of the channel it reads (terms.ts edgeWeights),
 * times `sign`: one coefficient per position of that channel, on a height x width plane (a
 * linear layer's run of features is one row). An interior position of a conv edge has
 * (1/m) sum W[o, i]; near the border only the taps that fall inside count.
 */
export function edgeCoefficients(model: Model, l: Layer, o: number, i: number, sign: number): { coefficients: Float64Array; height: number; width: number } {
  const { weights } = edgeWeights(model, l, o, i);
  // The channel's coefficients: a linear layer's input run, or the conv input's channel plane.
  const read = edgeInputChannel(model, l, o, i);
  const whole = l.flow.kind === 'kernels' && l.flow.window === 'whole';
  if (!read && !whole) throw new RangeError(`edge ${l.name}:${o}:${i} reads the image, which has no ReLU to warm up`);
  const shape = read ? nodeShape(model, read.layer) : [];
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  const [lo, hi] = whole ? linearRuns(model, l).slice(i, i + 2) : [read!.channel * plane, (read!.channel + 1) * plane];
  const width = shape.length === 3 && hi - lo === plane ? shape[2] : hi - lo;
  return { coefficients: Float64Array.from(weights.subarray(lo, hi), (w) => sign * w), height: (hi - lo) / width, width };
}

/**
 * The position of the read channel where the edge's functional times `sign` has its largest
 * coefficient, and that coefficient: a kernel whose weights sum below 0 may still gain from a
 * border position. A coefficient <= 0 everywhere means the edge is best silenced.
 */
export function edgeBestPosition(model: Model, l: Layer, o: number, i: number, sign: number): { y: number; x: number; coefficient: number } {
  return bestPosition(edgeCoefficients(model, l, o, i, sign));
}

/** The largest of a plane of coefficients, and where it sits. */
function bestPosition({ coefficients, width }: { coefficients: Float64Array; width: number }): { y: number; x: number; coefficient: number } {
  let best = 0;
  for (let f = 1; f < coefficients.length; f++) if (coefficients[f] > coefficients[best]) best = f;
  return { y: Math.floor(best / width), x: best % width, coefficient: coefficients[best] };
}

/** Spacing, in positions of the pre-ReLU map, of the warm-up's grid of neurons. */
export const WARMUP_GRID = 4;

/** Grid positions along a side of n: every WARMUP_GRID-th from the middle of the first cell (the middle when n is smaller). */
export function gridPositions(n: number): number[] {
  const out: number[] = [];
  for (let p = Math.min(Math.floor(WARMUP_GRID / 2), Math.floor(n / 2)); p < n; p += WARMUP_GRID) out.push(p);
  return out;
}

/**
 * The map before the nonlinearity that `layer` reads through (looking through ops that keep a
 * channel's place: same-channel and neighbouring-channel flows), or null when there is none on the way.
 */
export function preReluMap(model: Model, layer: string): string | null {
  let l = model.layers.find((x) => x.name === layer);
  let relu = false;
  while (l && (l.flow.kind === 'same' || l.flow.kind === 'neighbours')) {
    if (l.flow.kind === 'same' && l.flow.activation) relu = true;
    const from = l.inputs[0];
    if (from === model.input.name) return null;
    l = model.layers.find((x) => x.name === from);
  }
  return relu && l ? l.name : null;
}

/**
 * The objective plus, for every monomial that is one channel or edge term read through a
 * ReLU, warm-up terms on neurons of the map before that ReLU, on a grid every WARMUP_GRID
 * positions (a neuron comes alive within a few steps where a map mean rises slowly; a grid of
 * them brings the map to life in several places at once), each weighted like its position in
 * the true objective:
 * - w * channel:L:c adds (|w| / m) * neuron:P:c at every grid position, m the plane of L;
 * - w * edge:L:o:i adds |w| c_q * neuron:P:c' at every grid position whose read position q
 *   has a coefficient c_q > 0 (edgeCoefficients, times sign(w)), and at the best position
 *   (edgeBestPosition), so a kernel that gains only at the border still gets its term; nothing
 *   when no coefficient is > 0, since such an edge is best left silent.
 * Pooling between the pre-ReLU map P and the read map scales positions. Null when nothing is added.
 */
export function warmupObjective(model: Model, objective: Objective): Objective | null {
  const added: Monomial[] = [];
  for (const m of objective.monomials) {
    const t = m.factors.length === 1 ? m.factors[0] : null;
    if (t?.kind !== 'channel' && t?.kind !== 'edge') continue;
    const l = model.layers.find((x) => x.name === t.layer)!;
    const read = t.kind === 'channel' ? { layer: t.layer, channel: t.channel } : edgeInputChannel(model, l, t.out, t.input);
    const pre = read && preReluMap(model, read.layer);
    if (!read || !pre) continue;
    const readShape = nodeShape(model, read.layer), preShape = nodeShape(model, pre);
    const spatial = readShape.length === 3 && preShape.length === 3;
    const [ph, pw] = spatial ? [preShape[1], preShape[2]] : [1, 1];
    const [rh, rw] = spatial ? [readShape[1], readShape[2]] : [1, 1];
    const neurons = new Map<string, Monomial>();
    const put = (y: number, x: number, weight: number) => {
      if (weight > 0) neurons.set(`${y},${x}`, { weight, factors: [{ kind: 'neuron', layer: pre, channel: read.channel, y, x }] });
    };
    const grid = gridPositions(ph).flatMap((y) => gridPositions(pw).map((x) => [y, x]));
    if (t.kind === 'channel') {
      for (const [y, x] of grid) put(y, x, Math.abs(m.weight) / (rh * rw));
    } else {
      // The edge's functional, computed once: the grid's weights and its best position.
      const plane = edgeCoefficients(model, l, t.out, t.input, Math.sign(m.weight));
      const best = bestPosition(plane);
      if (spatial) {
        const { coefficients, width } = plane;
        // The read position over pre-ReLU neuron (y, x) (pooling shrinks the plane).
        for (const [y, x] of grid) put(y, x, Math.abs(m.weight) * coefficients[Math.floor((y * rh) / ph) * width + Math.floor((x * rw) / pw)]);
        put(Math.min(ph - 1, Math.floor((best.y * ph) / rh)), Math.min(pw - 1, Math.floor((best.x * pw) / rw)), Math.abs(m.weight) * best.coefficient);
      } else {
        // A linear read: one pre-ReLU neuron per channel.
        put(0, 0, Math.abs(m.weight) * best.coefficient);
      }
    }
    added.push(...neurons.values());
  }
  return added.length ? { monomials: [...objective.monomials, ...added] } : null;
}
