// Feature-visualization objectives as text (Lucent-style: 'channel:conv2_1:12', sums,
// products, negation, diversity) parsed into a polynomial of terms, and printed back in a
// canonical form. No GPU here; terms.ts turns an objective into the weights the GPU uses.

import type { Model, Layer } from '../model/types';
import { buildGraph } from '../graph/build';
import type { KernelLayer } from '../graph/types';
import { isDecimal, UNSIGNED_DECIMAL } from '../text/decimal';

const NUMBER_PREFIX = new RegExp(`^${UNSIGNED_DECIMAL}`);

export class ObjectiveSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ObjectiveSyntaxError';
  }
}

/** One factor of a monomial: a scalar per image read off one node, or a batch's diversity. */
export type Term =
  | { kind: 'channel'; layer: string; channel: number }
  | { kind: 'neuron'; layer: string; channel: number; y: number; x: number }
  | { kind: 'layer'; layer: string }
  | { kind: 'logit'; class: number }
  | { kind: 'prob'; class: number }
  | { kind: 'edge'; layer: string; out: number; input: number }
  | { kind: 'direction'; layer: string; weights: number[] }
  | { kind: 'diversity'; layer: string };

export interface Monomial {
  weight: number;
  factors: Term[];
}

/** sum over monomials of weight * product of factors, per image (diversity: per batch). */
export interface Objective {
  monomials: Monomial[];
}

/** 'channel:L:c': the mean of a node's map (a linear or logits layer: the unit's value). */
export function nodeObjective(layer: string, channel: number): string {
  return `channel:${layer}:${channel}`;
}

/** 'edge:L:o:i': the mean of kernel W[o, i]'s pre-sum map (i within o's group). */
export function edgeObjective(layer: string, out: number, input: number): string {
  return `edge:${layer}:${out}:${input}`;
}

export function describeTerm(t: Term): string {
  switch (t.kind) {
    case 'channel': return `channel:${t.layer}:${t.channel}`;
    case 'neuron': return `neuron:${t.layer}:${t.channel}@${t.y},${t.x}`;
    case 'layer': return `layer:${t.layer}`;
    case 'logit': return `logit:${t.class}`;
    case 'prob': return `prob:${t.class}`;
    case 'edge': return `edge:${t.layer}:${t.out}:${t.input}`;
    case 'direction': return `direction:${t.layer}:${t.weights.map((w) => String(w).replace('e+', 'e')).join(',')}`;
    case 'diversity': return `diversity:${t.layer}`;
  }
}

/** Canonical text: monomials in order, 'w*f*g' joined by ' + ' / ' - '. */
export function describeObjective(o: Objective): string {
  return o.monomials
    .map((m, i) => {
      const body = m.factors.map(describeTerm).join('*');
      const mag = Math.abs(m.weight);
      const text = mag === 1 ? body : `${mag}*${body}`;
      if (i === 0) return m.weight < 0 ? `-${text}` : text;
      return m.weight < 0 ? ` - ${text}` : ` + ${text}`;
    })
    .join('');
}

// ------------------------------------------------------------------ tokenizer

type Token = { kind: 'num'; value: number; text: string } | { kind: 'op'; text: string } | { kind: 'term'; text: string };

const OPS = new Set(['+', '-', '*', '(', ')']);

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (OPS.has(ch)) { out.push({ kind: 'op', text: ch }); i++; continue; }
    const num = NUMBER_PREFIX.exec(text.slice(i));
    if (num && !/^[A-Za-z_:]/.test(text.slice(i + num[0].length))) {
      const value = Number(num[0]);
      if (!Number.isFinite(value)) throw new ObjectiveSyntaxError(`number "${num[0]}" is not finite`);
      out.push({ kind: 'num', value, text: num[0] });
      i += num[0].length;
      continue;
    }
    if (!/[A-Za-z]/.test(ch)) throw new ObjectiveSyntaxError(`unexpected "${ch}" at position ${i + 1}`);
    // A term runs to whitespace, + * ( ), or a '-' after a digit (a minus between terms);
    // a '-' after ',' ':' or 'e' is a number's sign (direction weights).
    let j = i;
    while (j < text.length) {
      const c = text[j];
      if (/\s/.test(c) || c === '+' || c === '*' || c === '(' || c === ')') break;
      if (c === '-' && j > i && /[0-9.]/.test(text[j - 1]) && !/[eE]/.test(text[j - 1])) break;
      j++;
    }
    out.push({ kind: 'term', text: text.slice(i, j) });
    i = j;
  }
  return out;
}

// ------------------------------------------------------------------ terms

function findLayer(model: Model, name: string, what: string): Layer {
  const l = model.layers.find((x) => x.name === name);
  if (!l) {
    if (name === model.input.name) throw new ObjectiveSyntaxError(`${what}: the input "${name}" is not a layer an objective can read`);
    throw new ObjectiveSyntaxError(`${what}: unknown layer "${name}" (layers: ${model.layers.map((x) => x.name).join(', ')})`);
  }
  return l;
}

function integer(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new ObjectiveSyntaxError(`${what}: "${text ?? ''}" is not a non-negative integer`);
  return Number(text);
}

function inRange(v: number, n: number, what: string): number {
  if (v >= n) throw new ObjectiveSyntaxError(`${what} ${v} is out of range (0..${n - 1})`);
  return v;
}

function parseTerm(text: string, model: Model): Term {
  const colon = text.indexOf(':');
  if (colon < 0) throw new ObjectiveSyntaxError(`unknown token "${text}": expected channel:, neuron:, layer:, logit:, prob:, edge:, direction: or diversity:`);
  const kind = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  const classes = model.classes.length;
  const outputs = model.layers.find((l) => l.name === model.output)!.shape[0];
  switch (kind) {
    case 'channel': {
      const [layer, c, ...more] = rest.split(':');
      if (more.length) throw new ObjectiveSyntaxError(`"${text}": expected channel:LAYER:CHANNEL`);
      const l = findLayer(model, layer, text);
      return { kind: 'channel', layer, channel: inRange(integer(c, text), l.shape[0], `"${text}": channel`) };
    }
    case 'neuron': {
      const m = /^([^:@]+):(\d+)(?:@(\d+),(\d+))?$/.exec(rest);
      if (!m) throw new ObjectiveSyntaxError(`"${text}": expected neuron:LAYER:CHANNEL@Y,X`);
      const l = findLayer(model, m[1], text);
      const channel = inRange(Number(m[2]), l.shape[0], `"${text}": channel`);
      if (l.shape.length !== 3) {
        if (m[3] !== undefined && (m[3] !== '0' || m[4] !== '0')) throw new ObjectiveSyntaxError(`"${text}": ${m[1]} has no spatial map (use @0,0 or no position)`);
        return { kind: 'neuron', layer: m[1], channel, y: 0, x: 0 };
      }
      const [, h, w] = l.shape;
      const y = m[3] === undefined ? Math.floor(h / 2) : inRange(Number(m[3]), h, `"${text}": row`);
      const x = m[4] === undefined ? Math.floor(w / 2) : inRange(Number(m[4]), w, `"${text}": column`);
      return { kind: 'neuron', layer: m[1], channel, y, x };
    }
    case 'layer':
    case 'diversity': {
      if (!rest || rest.includes(':')) throw new ObjectiveSyntaxError(`"${text}": expected ${kind}:LAYER`);
      findLayer(model, rest, text);
      return { kind, layer: rest };
    }
    case 'logit':
    case 'prob': {
      const c = inRange(integer(rest, text), Math.min(classes, outputs), `"${text}": class`);
      return { kind, class: c };
    }
    case 'edge': {
      const [layer, o, i, ...more] = rest.split(':');
      if (more.length || i === undefined) throw new ObjectiveSyntaxError(`"${text}": expected edge:LAYER:OUT:IN`);
      const l = findLayer(model, layer, text);
      if (l.flow.kind !== 'kernels') throw new ObjectiveSyntaxError(`"${text}": ${layer} is a ${l.op} layer; edges are the kernels of conv2d and linear layers`);
      const out = inRange(integer(o, text), l.shape[0], `"${text}": output channel`);
      const inputs = kernelLayerNamed(model, layer).cols;
      return { kind: 'edge', layer, out, input: inRange(integer(i, text), inputs, `"${text}": input channel`) };
    }
    case 'direction': {
      const c2 = rest.indexOf(':');
      if (c2 < 0) throw new ObjectiveSyntaxError(`"${text}": expected direction:LAYER:W0,W1,...`);
      const layer = rest.slice(0, c2);
      const l = findLayer(model, layer, text);
      const parts = rest.slice(c2 + 1).split(',');
      const weights = parts.map((p) => {
        if (!isDecimal(p)) throw new ObjectiveSyntaxError(`"${text}": direction weight "${p}" is not a number`);
        const v = Number(p);
        if (!Number.isFinite(v)) throw new ObjectiveSyntaxError(`"${text}": direction weight "${p}" is not finite`);
        return v;
      });
      if (weights.length !== l.shape[0]) throw new ObjectiveSyntaxError(`"${text}": a direction in ${layer} needs ${l.shape[0]} weights, got ${weights.length}`);
      return { kind: 'direction', layer, weights };
    }
    default:
      throw new ObjectiveSyntaxError(`unknown objective "${kind}" in "${text}": expected channel, neuron, layer, logit, prob, edge, direction or diversity`);
  }
}

/** Where each input run of a whole-channel kernel layer (linear) starts: one run per channel of a flattened map, else one per feature. */
export function linearRuns(model: Model, l: Layer): number[] {
  const k = kernelLayerNamed(model, l.name);
  return Array.from(buildGraph(model).layers[k.graphLayer].inputStarts ?? []);
}

/** The kernel layer (a layer whose edges are kernels) of that name. */
export function kernelLayerNamed(model: Model, name: string): KernelLayer {
  const k = buildGraph(model).kernelLayers.find((x) => x.name === name);
  if (!k) throw new ObjectiveSyntaxError(`${name} is not a layer of filters; edges are the kernels of conv2d and linear layers`);
  return k;
}

// ------------------------------------------------------------------ parser

/** Parses an objective; every problem is an ObjectiveSyntaxError naming the bad part. */
export function parseObjective(text: string, model: Model): Objective {
  if (typeof text !== 'string' || !text.trim()) throw new ObjectiveSyntaxError('empty objective');
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const describe = (t: Token | undefined) => (t ? `"${t.text}"` : 'the end');

  // Polynomials: arrays of monomials; products distribute over sums.
  const times = (a: Monomial[], b: Monomial[]): Monomial[] => {
    const out: Monomial[] = [];
    for (const x of a) for (const y of b) out.push({ weight: x.weight * y.weight, factors: [...x.factors, ...y.factors] });
    return out;
  };
  const sum = (): Monomial[] => {
    let acc = product();
    while (peek()?.kind === 'op' && (peek()!.text === '+' || peek()!.text === '-')) {
      const sign = tokens[pos++].text === '-' ? -1 : 1;
      acc = [...acc, ...product().map((m) => ({ ...m, weight: sign * m.weight }))];
    }
    return acc;
  };
  const product = (): Monomial[] => {
    let acc = unary();
    while (peek()?.kind === 'op' && peek()!.text === '*') {
      pos++;
      acc = times(acc, unary());
    }
    return acc;
  };
  const unary = (): Monomial[] => {
    const t = peek();
    if (!t) throw new ObjectiveSyntaxError('objective ends where a term was expected');
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      pos++;
      const inner = unary();
      return t.text === '-' ? inner.map((m) => ({ ...m, weight: -m.weight })) : inner;
    }
    if (t.kind === 'op' && t.text === '(') {
      pos++;
      const inner = sum();
      if (peek()?.kind !== 'op' || peek()!.text !== ')') throw new ObjectiveSyntaxError(`expected ")" but found ${describe(peek())}`);
      pos++;
      return inner;
    }
    if (t.kind === 'num') {
      pos++;
      return [{ weight: t.value, factors: [] }];
    }
    if (t.kind === 'term') {
      pos++;
      return [{ weight: 1, factors: [parseTerm(t.text, model)] }];
    }
    throw new ObjectiveSyntaxError(`unexpected ${describe(t)}`);
  };

  const monomials = sum();
  if (pos < tokens.length) throw new ObjectiveSyntaxError(`unexpected ${describe(peek())} after a complete objective`);
  if (monomials.length > 64) throw new ObjectiveSyntaxError(`objective has ${monomials.length} terms after expanding products (at most 64)`);
  for (const m of monomials) {
    if (m.factors.length === 0) throw new ObjectiveSyntaxError(`a constant (${m.weight}) on its own has no gradient: multiply it with a term`);
    if (!Number.isFinite(m.weight)) throw new ObjectiveSyntaxError(`a weight of ${m.weight} is not finite`);
    if (m.factors.length > 8) throw new ObjectiveSyntaxError(`a product of ${m.factors.length} terms (at most 8)`);
    if (m.factors.some((f) => f.kind === 'diversity') && m.factors.length > 1)
      throw new ObjectiveSyntaxError('diversity is a property of the whole batch: it can be added (weighted), not multiplied');
  }
  return { monomials };
}

/** True when any monomial is a diversity term (needs a batch > 1). */
export function hasDiversity(o: Objective): boolean {
  return o.monomials.some((m) => m.factors.some((f) => f.kind === 'diversity'));
}
