// Reads and validates a model (model.json + weights.bin, see docs/model-format.md).
// Every problem becomes a ModelFormatError that names the layer or tensor concerned;
// nothing half-valid gets through. Batchnorm right after a conv is folded into its kernels.

import { ModelFormatError, type InputSpec, type Layer, type Model, type Shape } from './types';
import { opDescriptor, OPS } from '../ops/registry';
import type { ChannelFlow } from '../ops/types';
import { foldBatchnorms } from './fold';

export const MODEL_FORMAT = 'cnn-microscope/1';

interface TensorEntry { shape: Shape; offset: number; bytes: number }

const fail = (msg: string): never => {
  throw new ModelFormatError(msg);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function readInput(raw: unknown): InputSpec {
  if (!isObject(raw)) return fail(`"input" must be an object with name, channels, height, width, mean, std`);
  const name = typeof raw.name === 'string' && raw.name ? raw.name : 'input';
  for (const k of ['channels', 'height', 'width'] as const) {
    if (!isPosInt(raw[k])) fail(`input.${k} must be a positive integer (got ${JSON.stringify(raw[k])})`);
  }
  const channels = raw.channels as number;
  const vec = (k: 'mean' | 'std', def: number): number[] => {
    const v = raw[k] ?? new Array(channels).fill(def);
    if (!Array.isArray(v) || v.length !== channels || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      fail(`input.${k} must list ${channels} finite number(s), one per channel (got ${JSON.stringify(raw[k])})`);
    return v as number[];
  };
  const std = vec('std', 1);
  if (std.some((s) => s <= 0)) fail(`input.std must be positive`);
  return { name, channels, height: raw.height as number, width: raw.width as number, mean: vec('mean', 0), std };
}

function readTensors(raw: unknown, weightBytes: number): Map<string, TensorEntry> {
  if (!isObject(raw)) return fail(`"tensors" must be an object mapping tensor names to {shape, offset}`);
  const table = new Map<string, TensorEntry>();
  for (const [name, t] of Object.entries(raw)) {
    if (!isObject(t)) fail(`tensor "${name}" must be an object {shape, offset}`);
    const { shape, offset } = t as Record<string, unknown>;
    if (!Array.isArray(shape) || !shape.every(isPosInt))
      fail(`tensor "${name}": shape must be a list of positive integers (got ${JSON.stringify(shape)})`);
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset % 4 !== 0)
      fail(`tensor "${name}": offset must be a non-negative multiple of 4 (got ${JSON.stringify(offset)})`);
    if ((t as Record<string, unknown>).dtype !== undefined && (t as Record<string, unknown>).dtype !== 'float32')
      fail(`tensor "${name}": only float32 is supported (got ${JSON.stringify((t as Record<string, unknown>).dtype)})`);
    const bytes = (shape as number[]).reduce((a, b) => a * b, 1) * 4;
    if ((offset as number) + bytes > weightBytes)
      fail(`tensor "${name}" needs bytes ${offset}..${(offset as number) + bytes} but weights.bin has only ${weightBytes} bytes (truncated file, or the wrong weights.bin?)`);
    table.set(name, { shape: shape as number[], offset: offset as number, bytes });
  }
  const sorted = [...table.entries()].sort((a, b) => a[1].offset - b[1].offset);
  let end = 0;
  let prev = '';
  for (const [name, t] of sorted) {
    if (t.offset < end) fail(`tensors "${prev}" and "${name}" overlap in weights.bin`);
    end = t.offset + t.bytes;
    prev = name;
  }
  if (end !== weightBytes)
    fail(`weights.bin is ${weightBytes} bytes but the tensor table describes ${end}: it does not belong to this model.json`);
  return table;
}

function readData(name: string, t: TensorEntry, weights: ArrayBuffer): Float32Array {
  const n = t.bytes / 4;
  const out = new Float32Array(n);
  const view = new DataView(weights, t.offset, t.bytes);
  for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) fail(`tensor "${name}" holds ${out[i]} at element ${i}: weights must be finite`);
  }
  return out;
}

interface RawLayer { name: string; op: string; inputs: string[]; attrs: Record<string, unknown>; params: Record<string, string> }

function readLayers(raw: unknown, inputName: string): RawLayer[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail(`"layers" must be a non-empty list`);
  const names = new Set<string>();
  return raw.map((l, i) => {
    if (!isObject(l)) return fail(`layers[${i}] must be an object`);
    const name = l.name;
    if (typeof name !== 'string' || !name) return fail(`layers[${i}] has no name`);
    if (names.has(name) || name === inputName) fail(`layer name "${name}" is used twice`);
    names.add(name);
    if (typeof l.op !== 'string' || !opDescriptor(l.op))
      fail(`layer "${name}": unknown op ${JSON.stringify(l.op)} (supported: ${Object.keys(OPS).join(', ')})`);
    if (!Array.isArray(l.inputs) || !l.inputs.every((s) => typeof s === 'string'))
      fail(`layer "${name}": inputs must be a list of layer names`);
    const attrs = l.attrs ?? {};
    if (!isObject(attrs)) fail(`layer "${name}": attrs must be an object`);
    const params = l.params ?? {};
    if (!isObject(params) || !Object.values(params).every((v) => typeof v === 'string'))
      fail(`layer "${name}": params must map parameter names to tensor names`);
    return { name, op: l.op as string, inputs: l.inputs as string[], attrs: attrs as Record<string, unknown>, params: params as Record<string, string> };
  });
}

/** Orders layers so every input comes first; reports dangling inputs and cycles. */
function topoSort(layers: RawLayer[], inputName: string): RawLayer[] {
  const byName = new Map(layers.map((l) => [l.name, l]));
  for (const l of layers)
    for (const i of l.inputs)
      if (i !== inputName && !byName.has(i)) fail(`layer "${l.name}": input "${i}" names no layer (nor the model input "${inputName}")`);
  const order: RawLayer[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (l: RawLayer, path: string[]): void => {
    const s = state.get(l.name);
    if (s === 'done') return;
    if (s === 'visiting') fail(`the layers form a cycle: ${[...path.slice(path.indexOf(l.name)), l.name].join(' -> ')}`);
    state.set(l.name, 'visiting');
    for (const i of l.inputs) if (i !== inputName) visit(byName.get(i)!, [...path, l.name]);
    state.set(l.name, 'done');
    order.push(l);
  };
  for (const l of layers) visit(l, []);
  return order;
}

/** Parses and validates a model; throws ModelFormatError naming what is wrong. */
export function parseModel(json: unknown, weights: ArrayBuffer, options: { foldBatchnorm?: boolean } = {}): Model {
  if (!isObject(json)) fail(`model.json must hold a JSON object`);
  const j = json as Record<string, unknown>;
  if (j.format !== MODEL_FORMAT) fail(`unknown model format ${JSON.stringify(j.format)} (expected "${MODEL_FORMAT}")`);
  const input = readInput(j.input);
  const rawClasses = j.classes;
  if (!Array.isArray(rawClasses) || rawClasses.length === 0 || !rawClasses.every((c) => typeof c === 'string'))
    fail(`"classes" must be a non-empty list of class names`);
  const classes = rawClasses as string[];
  const tensors = readTensors(j.tensors, weights.byteLength);
  const raw = topoSort(readLayers(j.layers, input.name), input.name);

  const shapes = new Map<string, Shape>([[input.name, [input.channels, input.height, input.width]]]);
  const used = new Set<string>();
  const layers: Layer[] = raw.map((l) => {
    const d = opDescriptor(l.op)!;
    const where = `layer "${l.name}" (${l.op})`;
    const [lo, hi] = typeof d.arity === 'number' ? [d.arity, d.arity] : d.arity;
    if (l.inputs.length < lo || l.inputs.length > hi)
      fail(`${where}: takes ${lo === hi ? lo : `${lo} to ${hi}`} input(s), got ${l.inputs.length}`);
    for (const p of Object.keys(l.params))
      if (!d.paramNames.includes(p)) fail(`${where}: unknown parameter "${p}" (known: ${d.paramNames.join(', ') || 'none'})`);
    for (const p of d.requiredParams) if (!l.params[p]) fail(`${where}: missing parameter "${p}"`);
    const params: Record<string, Float32Array> = {};
    const paramShapes: Record<string, Shape> = {};
    for (const [p, tname] of Object.entries(l.params)) {
      const t = tensors.get(tname);
      if (!t) return fail(`${where}: parameter "${p}" names tensor "${tname}", which is not in the tensor table`);
      if (used.has(tname)) fail(`${where}: tensor "${tname}" is already used by another parameter`);
      used.add(tname);
      params[p] = readData(tname, t, weights);
      paramShapes[p] = t.shape;
    }
    if (!d.channelFlow) fail(`${where}: op "${l.op}" does not declare how its output channels depend on its inputs, so the graph cannot be built`);
    let attrs: Record<string, unknown>;
    let shape: Shape;
    let flow: ChannelFlow;
    try {
      attrs = d.parseAttrs(l.attrs);
      const inputShapes = l.inputs.map((i) => shapes.get(i)!);
      shape = d.inferShape(inputShapes, attrs, paramShapes);
      flow = d.channelFlow!(attrs, inputShapes, shape);
    } catch (e) {
      return fail(`${where}: ${(e as Error).message}`);
    }
    shapes.set(l.name, shape);
    return { name: l.name, op: l.op, inputs: [...l.inputs], attrs, params, paramShapes, shape, flow };
  });

  const output = j.output;
  if (typeof output !== 'string' || !shapes.has(output) || output === input.name)
    fail(`"output" must name the layer holding the class logits (got ${JSON.stringify(output)})`);
  const outShape = shapes.get(output as string)!;
  if (outShape.length !== 1 || outShape[0] !== classes.length)
    fail(`output layer "${output}" has shape [${outShape.join(', ')}] but there are ${classes.length} classes`);

  const model: Model = {
    name: typeof j.name === 'string' ? j.name : 'model',
    description: typeof j.description === 'string' ? j.description : '',
    input,
    classes,
    layers,
    output: output as string,
  };
  return options.foldBatchnorm === false ? model : foldBatchnorms(model);
}

/** Fetches `<folderUrl>model.json` and `<folderUrl>weights.bin` and parses them. */
export async function fetchModel(folderUrl: string, fetchFn: typeof fetch = fetch): Promise<Model> {
  const base = folderUrl.endsWith('/') ? folderUrl : `${folderUrl}/`;
  const get = async (file: string) => {
    const res = await fetchFn(`${base}${file}`);
    if (!res.ok) throw new ModelFormatError(`could not load ${base}${file}: HTTP ${res.status}`);
    return res;
  };
  const jsonRes = await get('model.json');
  let json: unknown;
  try {
    json = await jsonRes.json();
  } catch (e) {
    throw new ModelFormatError(`model.json is not valid JSON: ${(e as Error).message}`);
  }
  const weights = await (await get('weights.bin')).arrayBuffer();
  return parseModel(json, weights);
}
