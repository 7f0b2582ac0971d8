// Compiles objectives into what the GPU evaluates: per node, the weight vectors of the terms
// that are linear in its output; the class-probability terms; the diversity parts; and the
// polynomial table (monomials of term indices) for polynomial.wgsl. No GPU here.

import type { Model, Layer } from '../model/types';
import { nodeShape, shapeSize } from '../model/types';
import { describeTerm, linearRuns, ObjectiveSyntaxError, type Objective, type Term } from './objectives';

export interface LinearGroup {
  node: string;
  /** Values per image of the node. */
  size: number;
  /** [count, size] weight vectors, f32 for the GPU. */
  weights: Float32Array;
  /** Index of the group's first term in the global term list. */
  first: number;
  count: number;
}

export interface CompiledObjectives {
  /** Number of GPU-evaluated terms (linear and probability). */
  terms: number;
  linear: LinearGroup[];
  /** Class-probability terms on the logits: classes and index of the first. */
  prob: { classes: Uint32Array; first: number } | null;
  /** Diversity parts: added to every image's value with its weight, computed per batch. */
  diversity: { node: string; weight: number }[];
  /** polynomial.wgsl's table and monomial weights (diversity excluded). */
  monomials: number;
  table: Uint32Array;
  monomialWeights: Float32Array;
  /** Nodes that get a gradient seed (backward passes start there), in model order. */
  seedNodes: string[];
  /** The last node (in model order) any term reads: forward can stop there. */
  until: string;
}

export const ALL_IMAGES = 0xffffffff;

/** The f64 weight vector of a linear term over its node's output (one image). */
export function termWeights(model: Model, t: Exclude<Term, { kind: 'prob' } | { kind: 'diversity' }>): { node: string; weights: Float64Array } {
  if (t.kind === 'logit') {
    const w = new Float64Array(shapeSize(nodeShape(model, model.output)));
    w[t.class] = 1;
    return { node: model.output, weights: w };
  }
  if (t.kind === 'edge') return edgeWeights(model, layerOf(model, t.layer), t.out, t.input);
  const shape = nodeShape(model, t.layer);
  const w = new Float64Array(shapeSize(shape));
  const plane = shape.length === 3 ? shape[1] * shape[2] : 1;
  const channels = shape[0];
  switch (t.kind) {
    case 'channel':
      for (let q = 0; q < plane; q++) w[t.channel * plane + q] = 1 / plane;
      break;
    case 'neuron':
      w[t.channel * plane + (shape.length === 3 ? t.y * shape[2] + t.x : 0)] = 1;
      break;
    case 'layer':
      w.fill(1 / (channels * plane));
      break;
    case 'direction':
      for (let c = 0; c < channels; c++) for (let q = 0; q < plane; q++) w[c * plane + q] = t.weights[c] / plane;
      break;
  }
  return { node: t.layer, weights: w };
}

function layerOf(model: Model, name: string): Layer {
  const l = model.layers.find((x) => x.name === name);
  if (!l) throw new ObjectiveSyntaxError(`unknown layer "${name}"`);
  return l;
}

/**
 * An edge's objective, the mean over positions p of a_{o<-i}(p) = sum_k W[o,i,k] x_i(p+k), as a
 * linear functional on the layer's input x: weight of x_i(q) = (1/m) sum of W[o,i,k] over the
 * (p, k) that read q. A linear layer's edge is the sum of W[o, f] x(f) over its input run.
 */
export function edgeWeights(model: Model, l: Layer, o: number, i: number): { node: string; weights: Float64Array } {
  const node = l.inputs[0];
  const inShape = nodeShape(model, node);
  const w = new Float64Array(shapeSize(inShape));
  const W = l.params.weight;
  if (l.flow.kind === 'kernels' && l.flow.window === 'whole') {
    const runs = linearRuns(model, l);
    const F = l.paramShapes.weight[1];
    for (let f = runs[i]; f < runs[i + 1]; f++) w[f] = W[o * F + f];
    return { node, weights: w };
  }
  const [C, H, Wd] = inShape;
  const [O, cinG, KH, KW] = l.paramShapes.weight;
  const [, OH, OW] = l.shape;
  const a = l.attrs as { stride: number[]; padding: number[]; dilation: number[]; groups?: number };
  const groups = a.groups ?? 1;
  const ci = Math.floor(o / (O / groups)) * cinG + i;
  if (ci >= C) throw new ObjectiveSyntaxError(`edge ${l.name}:${o}:${i} reads channel ${ci} of ${C}`);
  const m = OH * OW;
  for (let oy = 0; oy < OH; oy++)
    for (let ox = 0; ox < OW; ox++)
      for (let ky = 0; ky < KH; ky++) {
        const iy = oy * a.stride[0] - a.padding[0] + ky * a.dilation[0];
        if (iy < 0 || iy >= H) continue;
        for (let kx = 0; kx < KW; kx++) {
          const ix = ox * a.stride[1] - a.padding[1] + kx * a.dilation[1];
          if (ix < 0 || ix >= Wd) continue;
          w[ci * H * Wd + iy * Wd + ix] += W[((o * cinG + i) * KH + ky) * KW + kx] / m;
        }
      }
  return { node, weights: w };
}

/**
 * One objective for every image (`objectives.length === 1`), or one per image (then image n
 * optimizes objectives[n]; diversity is only allowed with a shared objective).
 */
export function compileObjectives(model: Model, objectives: Objective[]): CompiledObjectives {
  const shared = objectives.length === 1;
  const order = new Map<string, number>([[model.input.name, -1], ...model.layers.map((l, i) => [l.name, i] as [string, number])]);
  const linearKeys = new Map<string, { node: string; weights: Float64Array; key: string }[]>();
  const probClasses: number[] = [];
  const keyIndex = new Map<string, { group: string | null; local: number }>();
  const diversity: { node: string; weight: number }[] = [];
  const monos: { image: number; weight: number; keys: string[] }[] = [];
  objectives.forEach((obj, n) => {
    for (const m of obj.monomials) {
      if (m.factors[0].kind === 'diversity') {
        if (!shared) throw new ObjectiveSyntaxError('diversity needs one objective shared by the whole batch');
        diversity.push({ node: m.factors[0].layer, weight: m.weight });
        continue;
      }
      const keys: string[] = [];
      for (const f of m.factors) {
        const key = describeTerm(f);
        keys.push(key);
        if (keyIndex.has(key)) continue;
        if (f.kind === 'prob') {
          keyIndex.set(key, { group: null, local: probClasses.length });
          probClasses.push(f.class);
        } else if (f.kind !== 'diversity') {
          const { node, weights } = termWeights(model, f);
          const list = linearKeys.get(node) ?? [];
          keyIndex.set(key, { group: node, local: list.length });
          list.push({ node, weights, key });
          linearKeys.set(node, list);
        }
      }
      monos.push({ image: shared ? ALL_IMAGES : n, weight: m.weight, keys });
    }
  });
  const nodes = [...linearKeys.keys()].sort((a, b) => order.get(a)! - order.get(b)!);
  const linear: LinearGroup[] = [];
  let first = 0;
  const firstOf = new Map<string, number>();
  for (const node of nodes) {
    const list = linearKeys.get(node)!;
    const size = list[0].weights.length;
    const weights = new Float32Array(list.length * size);
    list.forEach((t, k) => weights.set(t.weights, k * size));
    linear.push({ node, size, weights, first, count: list.length });
    firstOf.set(node, first);
    first += list.length;
  }
  const prob = probClasses.length ? { classes: Uint32Array.from(probClasses), first } : null;
  const terms = first + probClasses.length;
  const index = (key: string) => {
    const k = keyIndex.get(key)!;
    return k.group === null ? prob!.first + k.local : firstOf.get(k.group)! + k.local;
  };
  const records: number[][] = monos.map((m) => [m.image, m.keys.length, ...m.keys.map(index)]);
  const table: number[] = [];
  let at = records.length;
  for (const r of records) { table.push(at); at += r.length; }
  for (const r of records) table.push(...r);
  const seedSet = new Set<string>(nodes);
  if (prob) seedSet.add(model.output);
  for (const d of diversity) seedSet.add(d.node);
  const seedNodes = [...seedSet].sort((a, b) => order.get(a)! - order.get(b)!);
  if (seedNodes.length === 0) throw new ObjectiveSyntaxError('the objective has no term');
  return {
    terms, linear, prob, diversity, monomials: monos.length,
    table: Uint32Array.from(table.length ? table : [0]),
    monomialWeights: Float32Array.from(monos.length ? monos.map((m) => m.weight) : [0]),
    seedNodes,
    until: seedNodes[seedNodes.length - 1],
  };
}
