// Seeded mutations of a model (model.json as parsed JSON + weights.bin) for the loader's fuzz
// corpus: the JSON's structure, its numbers, the tensor table, the bytes of weights.bin, hostile
// names (renamed consistently, so the model stays valid) and batchnorm statistics.
import { ALL_PAYLOADS, XSS, long } from './payloads.mjs';

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)];

export type Json = Record<string, any>;
export interface ModelFiles { json: Json; weights: ArrayBuffer }
export interface Mutation { kind: string; what: string; files: ModelFiles }
type Path = (string | number)[];

const DEEP = () => JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
const HOSTILE_VALUES: (() => unknown)[] = [
  () => null, () => true, () => 0, () => -1, () => '', () => 'x', () => [], () => ({}), () => [[]], () => ({ shape: [] }),
  DEEP, () => long(), () => Array.from({ length: 100_000 }, () => 1), () => JSON.parse('{"__proto__": {"polluted": 1}}'),
  ...XSS.map((s) => () => s),
];
const HOSTILE_NUMBERS = [
  0, -1, 1, 2, 3, 1.5, -0.5, 1e9, -1e9, 2 ** 31, 2 ** 32, 2 ** 53 + 2, 1e300, -1e300, 1e-300, 1e39, -1e39, 3.4e38,
  JSON.parse('1e999'), JSON.parse('-1e999'), Number.MAX_SAFE_INTEGER, 65_536, 65_537, 16_385, 1e-45,
];

/** Every path into a JSON value (arrays and objects), shallow first, at most `max`. */
function paths(value: unknown, max = 5000): Path[] {
  const out: Path[] = [];
  const queue: [unknown, Path][] = [[value, []]];
  while (queue.length && out.length < max) {
    const [v, p] = queue.shift()!;
    if (typeof v !== 'object' || v === null) continue;
    for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      const child = (v as any)[k];
      out.push([...p, k]);
      queue.push([child, [...p, k]]);
    }
  }
  return out;
}

const parentOf = (json: Json, path: Path) => path.slice(0, -1).reduce((o: any, k) => o[k], json);
const clone = (m: ModelFiles): ModelFiles => ({ json: structuredClone(m.json), weights: m.weights.slice(0) });

/** Structure: a field deleted, or replaced by a value of another kind (deep, long, hostile). */
function structure(base: ModelFiles, r: () => number): Mutation {
  const m = clone(base);
  const all = paths(m.json);
  const path = pick(r, all);
  const parent = parentOf(m.json, path);
  const key = path[path.length - 1];
  const roll = r();
  if (roll < 0.25) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
    return { kind: 'structure', what: `delete ${path.join('.')}`, files: m };
  }
  if (roll < 0.35 && m.json.layers?.length > 1) {
    const layers = m.json.layers;
    const i = Math.floor(r() * layers.length);
    const j = Math.floor(r() * layers.length);
    layers[i].inputs = [layers[j].name]; // may form a cycle, a self-loop, or a valid rewiring
    return { kind: 'structure', what: `rewire layer ${i} to ${j}`, files: m };
  }
  if (roll < 0.42) {
    m.json.layers = [...m.json.layers, structuredClone(pick(r, m.json.layers))];
    return { kind: 'structure', what: 'duplicate a layer', files: m };
  }
  const v = pick(r, HOSTILE_VALUES)();
  parent[key] = v;
  return { kind: 'structure', what: `${path.join('.')} = ${typeof v === 'string' ? `string(${v.length})` : Array.isArray(v) ? `array(${v.length})` : String(v)}`, files: m };
}

/** Numbers: one number of model.json replaced by a hostile one. */
function numbers(base: ModelFiles, r: () => number): Mutation {
  const m = clone(base);
  const numeric = paths(m.json).filter((p) => typeof parentOf(m.json, p)[p[p.length - 1]] === 'number');
  const path = pick(r, numeric);
  const v = pick(r, HOSTILE_NUMBERS);
  parentOf(m.json, path)[path[path.length - 1]] = v;
  return { kind: 'numbers', what: `${path.join('.')} = ${v}`, files: m };
}

/** The tensor table: shapes, offsets, dtypes, entries removed or added. */
function tensorTable(base: ModelFiles, r: () => number): Mutation {
  const m = clone(base);
  const names = Object.keys(m.json.tensors);
  const name = pick(r, names);
  const t = m.json.tensors[name];
  const changes: [string, () => void][] = [
    ['shape []', () => (t.shape = [])],
    ['shape [0]', () => (t.shape = [0])],
    ['shape with a huge dim', () => (t.shape = [...t.shape.slice(1), 1e9])],
    ['shape 1e5^3', () => (t.shape = [1e5, 1e5, 1e5])],
    ['shape [-1]', () => (t.shape = [-1])],
    ['shape [1.5]', () => (t.shape = [1.5])],
    ['an extra dim', () => (t.shape = [...t.shape, 1])],
    ['a dim dropped', () => (t.shape = t.shape.slice(1))],
    ['seven dims', () => (t.shape = [1, 1, 1, 1, 1, 1, 1])],
    ['misaligned offset', () => (t.offset += 2)],
    ['negative offset', () => (t.offset = -4)],
    ['offset past the file', () => (t.offset = base.weights.byteLength)],
    ['offset 2^60', () => (t.offset = 2 ** 60)],
    ['overlapping offset', () => (t.offset = m.json.tensors[pick(r, names)].offset + 4)],
    ['entry removed', () => delete m.json.tensors[name]],
    ['last entry removed', () => delete m.json.tensors[names.reduce((a, b) => (m.json.tensors[a].offset > m.json.tensors[b].offset ? a : b))]],
    ['an extra entry', () => (m.json.tensors[`${name}.extra`] = { shape: [1], offset: base.weights.byteLength })],
    ['dtype float16', () => (t.dtype = 'float16')],
    ['table replaced by a list', () => (m.json.tensors = Object.values(m.json.tensors))],
    ['two parameters share a tensor', () => {
      const layer = m.json.layers.find((l: Json) => l.params && Object.keys(l.params).length > 1);
      if (layer) { const [a, b] = Object.keys(layer.params); layer.params[b] = layer.params[a]; }
    }],
  ];
  const [what, change] = pick(r, changes);
  change();
  return { kind: 'tensor table', what: `${what} (${name})`, files: m };
}

/** weights.bin: truncated, extended, emptied, or values overwritten (NaN, Infinity, huge, random bytes). */
function weightBytes(base: ModelFiles, r: () => number): Mutation {
  const m = clone(base);
  const n = m.weights.byteLength;
  const roll = r();
  if (roll < 0.2) return { kind: 'weights.bin', what: 'truncated', files: { ...m, weights: m.weights.slice(0, Math.floor(r() * n)) } };
  if (roll < 0.3) {
    const longer = new Uint8Array(n + 4 * (1 + Math.floor(r() * 64)));
    longer.set(new Uint8Array(m.weights));
    return { kind: 'weights.bin', what: 'extended', files: { ...m, weights: longer.buffer } };
  }
  if (roll < 0.35) return { kind: 'weights.bin', what: 'empty', files: { ...m, weights: new ArrayBuffer(0) } };
  const f = new Float32Array(m.weights);
  if (roll < 0.8) {
    const v = pick(r, [NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e30, 1.4e-45, -0]);
    const at = Math.floor(r() * f.length);
    f[at] = v;
    return { kind: 'weights.bin', what: `value ${at} = ${v}`, files: m };
  }
  const bytes = new Uint8Array(m.weights);
  const from = Math.floor(r() * n);
  for (let i = from; i < Math.min(n, from + 64); i++) bytes[i] = Math.floor(r() * 256);
  return { kind: 'weights.bin', what: `64 random bytes at ${from}`, files: m };
}

/** Replaces every use of a name (layer, tensor) in model.json by another. */
function rename(json: Json, from: string, to: string, what: 'layer' | 'tensor'): void {
  if (what === 'tensor') {
    json.tensors[to] = json.tensors[from];
    delete json.tensors[from];
    for (const l of json.layers) for (const p of Object.keys(l.params ?? {})) if (l.params[p] === from) l.params[p] = to;
    return;
  }
  for (const l of json.layers) {
    if (l.name === from) l.name = to;
    l.inputs = l.inputs.map((i: string) => (i === from ? to : i));
  }
  if (json.output === from) json.output = to;
}

/** Hostile names put consistently (the model stays valid) or alone: layers, tensors, classes, the input, the model. */
function names(base: ModelFiles, r: () => number): Mutation {
  const m = clone(base);
  const name = pick(r, [...ALL_PAYLOADS.filter((p) => p !== ''), `${pick(r, XSS)} ${Math.floor(r() * 1e6)}`]).toWellFormed();
  const target = pick(r, ['layer', 'tensor', 'class', 'input', 'model', 'description']);
  if (target === 'layer') rename(m.json, pick<Json>(r, m.json.layers).name, name, 'layer');
  else if (target === 'tensor') rename(m.json, pick(r, Object.keys(m.json.tensors)), name, 'tensor');
  else if (target === 'class') m.json.classes[Math.floor(r() * m.json.classes.length)] = name;
  else if (target === 'input') {
    rename(m.json, m.json.input.name, name, 'layer');
    m.json.input.name = name;
  } else if (target === 'model') m.json.name = name;
  else m.json.description = name;
  return { kind: 'names', what: `${target} named ${JSON.stringify(name.slice(0, 30))}${name.length > 30 ? `… (${name.length})` : ''}`, files: m };
}

/** Batchnorm statistics that fold into NaN or Infinity, and bad epsilons. */
function batchnorm(base: ModelFiles, r: () => number): Mutation | null {
  const bns = base.json.layers.filter((l: Json) => l.op === 'batchnorm');
  if (bns.length === 0) return null;
  const m = clone(base);
  const bn = pick<Json>(r, m.json.layers.filter((l: Json) => l.op === 'batchnorm'));
  const data = (param: string) => {
    const t = m.json.tensors[bn.params[param]];
    return new Float32Array(m.weights, t.offset, t.shape[0]);
  };
  const c = Math.floor(r() * m.json.tensors[bn.params.runningVar].shape[0]);
  const changes: [string, () => void][] = [
    ['variance -1', () => (data('runningVar')[c] = -1)],
    ['variance -1e-30', () => (data('runningVar')[c] = -1e-30)],
    ['gamma 3e38', () => (data('weight')[c] = 3e38)],
    ['variance 0, eps 1e-30, gamma 1e30', () => ((data('runningVar')[c] = 0), (data('weight')[c] = 1e30), (bn.attrs = { ...bn.attrs, eps: 1e-30 }))],
    ['variance 0, eps 1e-50', () => ((data('runningVar')[c] = 0), (bn.attrs = { ...bn.attrs, eps: 1e-50 }))],
    ['eps 0', () => (bn.attrs = { ...bn.attrs, eps: 0 })],
    ['eps -1', () => (bn.attrs = { ...bn.attrs, eps: -1 })],
    ['mean 3e38', () => (data('runningMean')[c] = 3e38)],
    ['beta -3e38 and mean 3e38', () => ((data('bias')[c] = -3e38), (data('runningMean')[c] = 3e38))],
  ];
  const [what, change] = pick(r, changes);
  change();
  return { kind: 'batchnorm', what: `${bn.name}: ${what} at channel ${c}`, files: m };
}

/** `perKind[kind]` mutations of `base` of each kind, one at a time (batchnorm only where the model has one). */
export function* mutations(base: ModelFiles, r: () => number, perKind: Record<string, number>): Generator<Mutation> {
  const makers: Record<string, (b: ModelFiles, r: () => number) => Mutation | null> = {
    structure, numbers, 'tensor table': tensorTable, 'weights.bin': weightBytes, names, batchnorm,
  };
  for (const [kind, count] of Object.entries(perKind)) {
    for (let i = 0; i < count; i++) {
      const m = makers[kind](base, r);
      if (m) yield m;
    }
  }
}
