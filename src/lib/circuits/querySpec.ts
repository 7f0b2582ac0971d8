// The URL syntax of circuit targets ('loss', 'logit:Sandal', 'node:conv2:12@3,4', ...) and of
// image sets ('all', 'class:Sandal', 'image:7', contrasts such as 'Sandal - all'), parsed
// against a model's structure. Bad input always throws QuerySpecError naming the bad part.

import type { Target } from '../engine/targets';
import type { ChannelFlow } from '../ops/types';
import { parseContrast, ContrastSyntaxError } from './contrast';
import { isDecimal } from '../text/decimal';
import { mapNodeOf } from '../graph/build';

/** What the parsers need to know of a model (a Model and a ModelSummary both qualify). */
export interface QueryModel {
  classes: string[];
  output: string;
  input: { name: string; channels: number; height: number; width: number };
  layers: { name: string; shape: number[]; inputs: string[]; flow: ChannelFlow }[];
}

/**
 * The map a node target reads: a filter's map after its nonlinearity (seed 001: a node sums its
 * kernels' maps, adds the bias and applies the activation function), i.e. the layer's sole
 * consumer when that is an activation; the layer itself otherwise, or with `pre`.
 */
export function nodeTargetLayer(model: QueryModel, layer: string, pre: boolean): string {
  return pre ? layer : mapNodeOf(model, layer);
}

/** A bad target or image set; `part` says which of the two, the message says what is wrong. */
export class QuerySpecError extends Error {
  constructor(
    readonly part: 'target' | 'images',
    message: string,
  ) {
    super(message);
    this.name = 'QuerySpecError';
  }
}

/** One named set of images: every scoring image, those of one class, or one image by index. */
export type ImageSetSpec = { kind: 'all' } | { kind: 'class'; class: number } | { kind: 'image'; index: number };

export interface ImageTerm {
  weight: number;
  set: ImageSetSpec;
}

const MAX_LENGTH = 500;

/** Shows a piece of user text in a message: quoted, one line, at most 40 characters. */
function shown(s: string): string {
  const clean = s.replace(/[\p{C}]/gu, '?');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 40)}…` : clean);
}

/** A class given by name (case-insensitive) or index. */
export function resolveClass(classes: string[], raw: string, part: 'target' | 'images'): number {
  const s = raw.trim();
  if (/^\d+$/.test(s)) {
    const c = Number(s);
    if (c < classes.length) return c;
    throw new QuerySpecError(part, `class ${s} does not exist: the model has ${classes.length} classes (0..${classes.length - 1})`);
  }
  const c = classes.findIndex((x) => x.toLowerCase() === s.toLowerCase());
  if (c >= 0) return c;
  const list = classes.length > 12 ? `${classes.slice(0, 12).join(', ')}, …` : classes.join(', ');
  throw new QuerySpecError(part, `unknown class ${shown(s)} (classes: ${list}; or a class index)`);
}

function shapeOf(model: QueryModel, layer: string): number[] | undefined {
  if (layer === model.input.name) return [model.input.channels, model.input.height, model.input.width];
  return model.layers.find((l) => l.name === layer)?.shape;
}

/**
 * Parses a target: loss | logit:<class> | prob:<class> | node:<layer>:<channel>[:pre][:mean|:max|@y,x].
 * or direction:<layer>:<w0>,<w1>,... | direction:<layer>:<c>=<w>,... (parseDirection).
 * A node target reads the filter's map after its nonlinearity; `:pre` reads the map before it.
 */
export function parseTarget(spec: string, model: QueryModel): Target {
  if (typeof spec !== 'string') throw new QuerySpecError('target', 'the target must be text');
  const s = spec.trim();
  if (!s) throw new QuerySpecError('target', 'the target is empty (expected loss, logit:<class>, prob:<class> or node:<layer>:<channel>)');
  if (s.length > MAX_LENGTH) throw new QuerySpecError('target', `the target is ${s.length} characters long (at most ${MAX_LENGTH})`);
  const lower = s.toLowerCase();
  if (lower === 'loss') return { kind: 'loss' };
  const classOf = (raw: string) => {
    try {
      return resolveClass(model.classes, raw, 'target');
    } catch (err) {
      throw new QuerySpecError('target', `target ${shown(s)}: ${(err as Error).message}`);
    }
  };
  if (lower.startsWith('logit:')) return { kind: 'classLogit', class: classOf(s.slice(6)) };
  if (lower.startsWith('prob:')) return { kind: 'classProbability', class: classOf(s.slice(5)) };
  if (lower.startsWith('direction:')) return parseDirection(s, model);
  if (!lower.startsWith('node:')) {
    throw new QuerySpecError('target', `target ${shown(s)} is not one of loss, logit:<class>, prob:<class>, node:<layer>:<channel>, direction:<layer>:<weights>`);
  }
  let rest = s.slice(5);
  let position: [number, number] | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(rest.slice(at + 1));
    if (!m) throw new QuerySpecError('target', `target ${shown(s)}: position ${shown(rest.slice(at + 1))} is not @<y>,<x>`);
    position = [Number(m[1]), Number(m[2])];
    rest = rest.slice(0, at);
  }
  let reduce: 'mean' | 'max' = 'mean';
  const red = /:(mean|max)\s*$/i.exec(rest);
  if (red) {
    if (position) throw new QuerySpecError('target', `target ${shown(s)} has both a position and :${red[1]}; give one`);
    reduce = red[1].toLowerCase() as 'mean' | 'max';
    rest = rest.slice(0, red.index);
  }
  const pre = /:pre\s*$/i.exec(rest);
  if (pre) rest = rest.slice(0, pre.index);
  const ch = /:\s*(\d+)\s*$/.exec(rest);
  if (!ch) throw new QuerySpecError('target', `target ${shown(s)}: expected node:<layer>:<channel>`);
  const layer = rest.slice(0, ch.index).trim();
  const channel = Number(ch[1]);
  if (!layer) throw new QuerySpecError('target', `target ${shown(s)} names no layer`);
  if (layer === model.input.name) throw new QuerySpecError('target', `target ${shown(s)}: the input "${layer}" has no circuit; pick a layer`);
  const named = shapeOf(model, layer);
  if (!named) {
    const names = model.layers.map((l) => l.name);
    const list = names.length > 16 ? `${names.slice(0, 16).join(', ')}, …` : names.join(', ');
    throw new QuerySpecError('target', `target ${shown(s)}: no layer named ${shown(layer)} (layers: ${list})`);
  }
  if (!Number.isSafeInteger(channel) || channel >= named[0]) {
    throw new QuerySpecError('target', `target ${shown(s)}: channel ${ch[1]} is outside ${layer}'s ${named[0]} channels (0..${named[0] - 1})`);
  }
  const read = nodeTargetLayer(model, layer, !!pre);
  const shape = shapeOf(model, read)!;
  if (position) {
    const [h, w] = shape.length === 3 ? [shape[1], shape[2]] : [1, 1];
    if (position[0] >= h || position[1] >= w) {
      throw new QuerySpecError('target', `target ${shown(s)}: position (${position[0]}, ${position[1]}) is outside ${layer}'s ${h}x${w} map`);
    }
    return { kind: 'featureAt', layer: read, channel, y: position[0], x: position[1] };
  }
  return { kind: reduce === 'max' ? 'featureMax' : 'featureMean', layer: read, channel };
}

/**
 * A direction target: a weighted sum of a layer's channel means, the layer read as named (as
 * a feature-visualization direction reads it). Dense `direction:<layer>:<w0>,<w1>,...` gives one
 * weight per channel; sparse `direction:<layer>:<c>=<w>,<c>=<w>` leaves unlisted channels at 0.
 */
function parseDirection(s: string, model: QueryModel): Target {
  const fail = (why: string): never => {
    throw new QuerySpecError('target', `target ${shown(s)}: ${why}`);
  };
  const m = /^direction:([^:]*):(.*)$/is.exec(s);
  if (!m || !m[1].trim()) fail('expected direction:<layer>:<w0>,<w1>,... or direction:<layer>:<channel>=<weight>,...');
  const layer = m![1].trim();
  if (layer === model.input.name) fail(`the input "${layer}" has no circuit; pick a layer`);
  const shape = shapeOf(model, layer);
  if (!shape) fail(`no layer named ${shown(layer)}`);
  const channels = shape![0];
  const items = m![2].split(',').map((p) => p.trim());
  const number = (text: string) => {
    const v = isDecimal(text) ? Number(text) : NaN;
    return Number.isFinite(v) ? v + 0 : fail(`weight ${shown(text)} is not a number`);
  };
  let weights: number[];
  if (items.some((p) => p.includes('='))) {
    weights = new Array<number>(channels).fill(0);
    const given = new Set<number>();
    for (const item of items) {
      const [c, w, more] = item.split('=');
      if (more !== undefined || w === undefined || !/^\d+$/.test(c.trim())) fail(`${shown(item)} is not <channel>=<weight>`);
      const channel = Number(c.trim());
      if (channel >= channels) fail(`channel ${channel} is outside ${layer}'s ${channels} channels (0..${channels - 1})`);
      if (given.has(channel)) fail(`channel ${channel} is given twice`);
      given.add(channel);
      weights[channel] = number(w.trim());
    }
  } else {
    if (items.length !== channels) fail(`${layer} has ${channels} channels, the direction gives ${items.length} weights (or use <channel>=<weight>,...)`);
    weights = items.map(number);
  }
  if (weights.every((w) => w === 0)) fail('every weight is 0, so the direction reads nothing');
  return { kind: 'direction', layer, weights };
}

/** A direction as text: sparse when that is shorter, so it parses back to the same weights. */
function directionText(t: { layer: string; weights: number[] }): string {
  const dense = t.weights.join(',');
  const sparse = t.weights.flatMap((w, c) => (w !== 0 ? [`${c}=${w}`] : [])).join(',');
  return `direction:${t.layer}:${sparse.length < dense.length ? sparse : dense}`;
}

/**
 * A stable text for a target (cache keys): the same target always gives the same string. With
 * the model, a map before a filter's activation is written with `:pre`, so the text parses back
 * to the same target.
 */
export function canonicalTarget(t: Target, model?: QueryModel): string {
  const pre = model && 'layer' in t && t.kind !== 'direction' && nodeTargetLayer(model, t.layer, false) !== t.layer ? ':pre' : '';
  switch (t.kind) {
    case 'loss': return 'loss';
    case 'classLogit': return `logit:${t.class}`;
    case 'classProbability': return `prob:${t.class}`;
    case 'featureMean': return `node:${t.layer}:${t.channel}${pre}`;
    case 'featureMax': return `node:${t.layer}:${t.channel}${pre}:max`;
    case 'featureAt': return `node:${t.layer}:${t.channel}${pre}@${t.y},${t.x}`;
    case 'direction': return directionText(t);
  }
}

/**
 * A target in words, e.g. "mean of conv2:12 after its activation (relu2)", "logit of Sandal".
 * With the model, a node target says which map of the filter it reads.
 */
export function targetLabel(t: Target, classes: string[], model?: QueryModel): string {
  const unit = 'layer' in t && t.kind !== 'direction' ? nodeWords(t.layer, t.channel, model) : '';
  switch (t.kind) {
    case 'loss': return 'cross-entropy loss';
    case 'classLogit': return `logit of ${classes[t.class] ?? `class ${t.class}`}`;
    case 'classProbability': return `probability of ${classes[t.class] ?? `class ${t.class}`}`;
    case 'featureMean': return `mean of ${unit}`;
    case 'featureMax': return `max of ${unit}`;
    case 'featureAt': return `${unit} at (${t.y}, ${t.x})`;
    case 'direction': return `direction in ${t.layer}`;
  }
}

/** "conv2:12 after its activation (relu2)", "conv2:12 before its activation", or "layer:c". */
function nodeWords(layer: string, channel: number, model?: QueryModel): string {
  const l = model?.layers.find((x) => x.name === layer);
  if (!model || !l) return `${layer}:${channel}`;
  const source = model.layers.find((x) => x.name === l.inputs[0]);
  if (l.flow.kind === 'same' && l.flow.activation && source?.flow.kind === 'kernels' && nodeTargetLayer(model, source.name, false) === layer) {
    return `${source.name}:${channel} after its activation (${layer})`;
  }
  if (l.flow.kind === 'kernels' && nodeTargetLayer(model, layer, false) !== layer) return `${layer}:${channel} before its activation`;
  return `${layer}:${channel}`;
}

const OPERATOR = /[+\-*]/;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Quotes class names that contain contrast operators ("T-shirt/top"), with or without a
 * "class:" prefix, so the contrast parser reads them whole. Text already in quotes is left.
 */
function quoteClassNames(expr: string, classes: string[]): string {
  const names = classes.filter((c) => OPERATOR.test(c) && !/["']/.test(c)).sort((a, b) => b.length - a.length);
  if (!names.length) return expr;
  const pattern = new RegExp(`(["'][^"']*["'])|(?:class:\\s*)?(${names.map(escapeRegExp).join('|')})`, 'gi');
  return expr.replace(pattern, (whole, quoted: string | undefined, name: string | undefined) => (quoted ? whole : `'${name}'`));
}

function resolveSet(raw: string, classes: string[], imageCount: number): ImageSetSpec {
  const s = raw.trim();
  const lower = s.toLowerCase();
  if (lower === 'all') return { kind: 'all' };
  if (lower.startsWith('image:')) {
    const v = s.slice(6).trim();
    if (!/^\d+$/.test(v)) throw new QuerySpecError('images', `image set ${shown(s)}: expected image:<index>`);
    const index = Number(v);
    if (index >= imageCount) {
      throw new QuerySpecError('images', `image set ${shown(s)}: there are ${imageCount} images (0..${Math.max(0, imageCount - 1)})`);
    }
    return { kind: 'image', index };
  }
  const name = lower.startsWith('class:') ? s.slice(6) : s;
  if (!name.trim()) throw new QuerySpecError('images', `image set ${shown(s)} names no class`);
  try {
    return { kind: 'class', class: resolveClass(classes, name, 'images') };
  } catch (err) {
    if (err instanceof QuerySpecError) throw new QuerySpecError('images', `image set ${shown(s)}: ${err.message} (or all, image:<index>)`);
    throw err;
  }
}

/** Parses an image set or a contrast of sets into weighted terms. */
export function parseImages(spec: string, classes: string[], imageCount: number): ImageTerm[] {
  if (typeof spec !== 'string') throw new QuerySpecError('images', 'the image set must be text');
  const s = spec.trim();
  if (!s) throw new QuerySpecError('images', 'the image set is empty (expected all, class:<name>, image:<index> or a contrast such as "Sandal - all")');
  if (s.length > MAX_LENGTH) throw new QuerySpecError('images', `the image set is ${s.length} characters long (at most ${MAX_LENGTH})`);
  // A whole expression that is exactly one class needs no parsing (names may hold operators).
  const whole = s.toLowerCase().startsWith('class:') ? s.slice(6).trim() : s;
  const exact = classes.findIndex((c) => c.toLowerCase() === whole.toLowerCase());
  if (exact >= 0) return [{ weight: 1, set: { kind: 'class', class: exact } }];
  let terms;
  try {
    terms = parseContrast(quoteClassNames(s, classes));
  } catch (err) {
    if (err instanceof ContrastSyntaxError) throw new QuerySpecError('images', `image set ${shown(s)}: ${err.message}`);
    throw err;
  }
  return terms.map((t) => {
    if (!Number.isFinite(t.weight)) throw new QuerySpecError('images', `image set ${shown(s)}: weight ${t.weight} is not a number`);
    return { weight: t.weight, set: resolveSet(t.set, classes, imageCount) };
  });
}

/** A stable text for one set (cache keys). */
export function canonicalSet(set: ImageSetSpec): string {
  return set.kind === 'all' ? 'all' : set.kind === 'class' ? `class:${set.class}` : `image:${set.index}`;
}

/** One set in words: "all images", "class Sandal", "image 7". */
export function setLabel(set: ImageSetSpec, classes: string[]): string {
  return set.kind === 'all' ? 'all images' : set.kind === 'class' ? `class ${classes[set.class] ?? set.class}` : `image ${set.index}`;
}

/** Terms in words, e.g. "class Sandal − all images", "2 × class Bag − class Coat". */
export function imagesLabel(terms: ImageTerm[], classes: string[]): string {
  return terms
    .map((t, i) => {
      const w = Math.abs(t.weight);
      const body = `${w === 1 ? '' : `${w} × `}${setLabel(t.set, classes)}`;
      if (i === 0) return t.weight < 0 ? `−${body}` : body;
      return `${t.weight < 0 ? '−' : '+'} ${body}`;
    })
    .join(' ');
}
