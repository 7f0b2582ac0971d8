// Reads and validates a model (model.json + weights.bin, see docs/model-format.md).
// Every problem becomes a ModelFormatError that names the layer or tensor concerned and quotes
// at most ~80 characters of the file; every declared size is checked against the budgets of
// limits.ts (a ModelSizeError) before anything is allocated from it; nothing half-valid gets
// through. Batchnorm right after a conv is folded into its kernels.

import { ModelFormatError, type InputSpec, type Layer, type Model, type Shape } from './types';
import { opDescriptor, OPS } from '../ops/registry';
import type { ChannelFlow } from '../ops/types';
import { checkBatchnorm, foldBatchnorms } from './fold';
import { MODEL_LIMITS, ModelSizeError, bounded, checkBudget, jsonDepth, jsonTextDepth, named, quote, type GpuBufferLimits } from './limits';
import { topoSort } from './order';
import { checkCoverage, readData, readTensors, type TensorEntry } from './tensorTable';

export const MODEL_FORMAT = 'cnn-microscope/1';

export interface ParseOptions {
  /** Fold batchnorm into the conv before it (default true). */
  foldBatchnorm?: boolean;
  /** The GPU's buffer limits: a tensor or a map for one image above them is refused here. */
  gpuLimits?: GpuBufferLimits;
}

const fail = (msg: string): never => {
  throw new ModelFormatError(bounded(msg));
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** A string field of model.json, or `def` when absent; too long or not a string is an error. */
function text(raw: unknown, field: string, max: number, def: string): string {
  if (raw === undefined) return def;
  if (typeof raw !== 'string') return fail(`${field} must be a string (got ${quote(raw)})`);
  checkBudget(`${field} (characters)`, raw.length, max);
  return raw;
}

function readInput(raw: unknown): InputSpec {
  if (!isObject(raw)) return fail(`"input" must be an object with name, channels, height, width, mean, std (got ${quote(raw)})`);
  const name = text(raw.name, 'input.name', MODEL_LIMITS.nameChars, '') || 'input';
  const limits = { channels: MODEL_LIMITS.channels, height: MODEL_LIMITS.spatial, width: MODEL_LIMITS.spatial };
  for (const k of ['channels', 'height', 'width'] as const) {
    if (!isPosInt(raw[k])) fail(`input.${k} must be a positive integer (got ${quote(raw[k])})`);
    checkBudget(`input.${k}`, raw[k] as number, limits[k]);
  }
  const [channels, height, width] = [raw.channels, raw.height, raw.width] as number[];
  checkBudget('the input (channels x height x width)', channels * height * width, MODEL_LIMITS.activationElements, ' values');
  const vec = (k: 'mean' | 'std', def: number): number[] => {
    const v = raw[k];
    if (v === undefined) return new Array<number>(channels).fill(def);
    if (!Array.isArray(v) || v.length !== channels || !v.every((x) => typeof x === 'number' && Number.isFinite(Math.fround(x))))
      fail(`input.${k} must list ${channels} finite number(s), one per channel (got ${quote(v)})`);
    return v as number[];
  };
  const std = vec('std', 1);
  const tiny = std.find((s) => !(Math.fround(s) > 0));
  if (tiny !== undefined) fail(`input.std must be positive (got ${tiny})`);
  return { name, channels, height, width, mean: vec('mean', 0), std };
}

function readClasses(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail(`"classes" must be a non-empty list of class names (got ${quote(raw)})`);
  checkBudget('the number of classes', raw.length, MODEL_LIMITS.classes);
  raw.forEach((c, i) => {
    if (typeof c !== 'string') fail(`classes[${i}] must be a string (got ${quote(c)})`);
    checkBudget(`class name ${i} (characters)`, c.length, MODEL_LIMITS.nameChars);
  });
  return raw as string[];
}

interface RawLayer { name: string; op: string; inputs: string[]; attrs: Record<string, unknown>; params: Record<string, string> }

function readLayer(l: unknown, i: number, names: Set<string>, inputName: string): RawLayer {
  if (!isObject(l)) return fail(`layers[${i}] must be an object (got ${quote(l)})`);
  const name = l.name;
  if (typeof name !== 'string' || !name) return fail(`layers[${i}] has no name (got ${quote(name)})`);
  checkBudget(`the name of layers[${i}] (characters)`, name.length, MODEL_LIMITS.nameChars);
  if (names.has(name) || name === inputName) fail(`layer name ${named(name)} is used twice`);
  names.add(name);
  if (typeof l.op !== 'string' || !opDescriptor(l.op))
    fail(`layer ${named(name)}: unknown op ${quote(l.op, 40)} (supported: ${Object.keys(OPS).join(', ')})`);
  const where = { toString: () => `layer ${named(name)} (${l.op})` }; // quoted only for a message
  const inputs = l.inputs;
  if (!Array.isArray(inputs) || !inputs.every((s) => typeof s === 'string'))
    fail(`${where}: inputs must be a list of layer names (got ${quote(inputs)})`);
  if ((inputs as string[]).length > MODEL_LIMITS.layerInputs) checkBudget(`the number of inputs of ${where}`, (inputs as string[]).length, MODEL_LIMITS.layerInputs);
  const attrs = l.attrs ?? {};
  if (!isObject(attrs)) fail(`${where}: attrs must be an object (got ${quote(attrs)})`);
  for (const [k, v] of Object.entries(attrs as Record<string, unknown>)) checkNumbers(where, k, v);
  const params = l.params ?? {};
  if (!isObject(params) || !Object.values(params).every((v) => typeof v === 'string'))
    fail(`${where}: params must map parameter names to tensor names (got ${quote(params)})`);
  return { name, op: l.op as string, inputs: inputs as string[], attrs: attrs as Record<string, unknown>, params: params as Record<string, string> };
}

/** Every number in an attribute is finite and a float32 (1e999 parses as Infinity). */
function checkNumbers(where: object, key: string, v: unknown): void {
  const values = Array.isArray(v) ? v : [v];
  for (const x of values) {
    if (typeof x === 'number' && !Number.isFinite(Math.fround(x)))
      fail(`${where}: attribute ${named(key)} must be finite and within float32's range (got ${quote(v)})`);
  }
}

function readLayers(raw: unknown, inputName: string): RawLayer[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail(`"layers" must be a non-empty list (got ${quote(raw)})`);
  checkBudget('the number of layers', raw.length, MODEL_LIMITS.layers);
  const names = new Set<string>();
  return raw.map((l, i) => readLayer(l, i, names, inputName));
}

/** A layer's output for one image fits the budgets (and the GPU), so the next layer is blamed for nothing. */
function checkShape(where: string, shape: Shape, gpu?: GpuBufferLimits): void {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every(isPosInt))
    fail(`${where}: the output shape ${quote(shape)} is not a list of positive integers`);
  const elements = shape.reduce((a, b) => a * b, 1);
  const tooBig = (why: string) => {
    throw new ModelSizeError(bounded(`${where}: its output [${shape.join(', ')}] ${why}`));
  };
  if (shape.length === 3 && shape[0] > MODEL_LIMITS.channels) tooBig(`has more than ${MODEL_LIMITS.channels} channels`);
  if (shape.length === 3 && (shape[1] > MODEL_LIMITS.spatial || shape[2] > MODEL_LIMITS.spatial)) tooBig(`is more than ${MODEL_LIMITS.spatial} values high or wide`);
  if (elements > MODEL_LIMITS.activationElements) tooBig(`holds more than ${MODEL_LIMITS.activationElements.toLocaleString('en-US')} values per image`);
  const gpuMax = gpu ? Math.min(gpu.maxStorageBufferBindingSize, gpu.maxBufferSize) : Infinity;
  if (elements * 4 > gpuMax) tooBig(`is ${(elements * 4).toLocaleString('en-US')} bytes per image; this GPU holds at most ${gpuMax.toLocaleString('en-US')} in one buffer`);
}

/** The top-level fields, each checked before it is used. */
function readHeader(json: unknown) {
  if (!isObject(json)) return fail(`model.json must hold a JSON object (got ${quote(json)})`);
  if (jsonDepth(json) > MODEL_LIMITS.jsonDepth) fail(`model.json is nested more than ${MODEL_LIMITS.jsonDepth} levels deep; a model needs 4`);
  if (json.format !== MODEL_FORMAT) fail(`unknown model format ${quote(json.format)} (expected "${MODEL_FORMAT}")`);
  return {
    json,
    name: text(json.name, '"name"', MODEL_LIMITS.titleChars, 'model'),
    description: text(json.description, '"description"', MODEL_LIMITS.descriptionChars, ''),
    input: readInput(json.input),
    classes: readClasses(json.classes),
  };
}

/** Parses and validates a model; throws ModelFormatError (ModelSizeError for a budget) naming what is wrong. */
export function parseModel(json: unknown, weights: ArrayBuffer, options: ParseOptions = {}): Model {
  const { json: j, name, description, input, classes } = readHeader(json);
  checkBudget('weights.bin', weights.byteLength, MODEL_LIMITS.weightBytes, ' bytes');
  const tensors = readTensors(j.tensors, weights.byteLength, options.gpuLimits);
  const raw = topoSort(readLayers(j.layers, input.name), input.name);

  const shapes = new Map<string, Shape>([[input.name, [input.channels, input.height, input.width]]]);
  const used = new Set<string>();
  const layers: Layer[] = raw.map((l) => {
    const layer = buildLayer(l, shapes, tensors, used, weights);
    checkShape(`layer ${named(l.name)} (${l.op})`, layer.shape, options.gpuLimits);
    if (layer.op === 'batchnorm') checkBatchnorm(layer);
    shapes.set(l.name, layer.shape);
    return layer;
  });
  checkCoverage(tensors, weights.byteLength);

  const output = j.output;
  if (typeof output !== 'string' || !shapes.has(output) || output === input.name)
    fail(`"output" must name the layer holding the class logits (got ${quote(output)})`);
  const outShape = shapes.get(output as string)!;
  if (outShape.length !== 1 || outShape[0] !== classes.length)
    fail(`output layer ${named(output as string)} has shape [${outShape.join(', ')}] but there are ${classes.length} classes`);

  const model: Model = { name, description, input, classes, layers, output: output as string };
  return options.foldBatchnorm === false ? model : foldBatchnorms(model);
}

/** One layer: arity, parameters (their tensors read), attributes, output shape and channel flow. */
function buildLayer(l: RawLayer, shapes: Map<string, Shape>, tensors: Map<string, TensorEntry>, used: Set<string>, weights: ArrayBuffer): Layer {
  const d = opDescriptor(l.op)!;
  const where = `layer ${named(l.name)} (${l.op})`;
  const [lo, hi] = typeof d.arity === 'number' ? [d.arity, d.arity] : d.arity;
  if (l.inputs.length < lo || l.inputs.length > hi)
    fail(`${where}: takes ${lo === hi ? lo : `${lo} to ${hi}`} input(s), got ${l.inputs.length}`);
  for (const p of Object.keys(l.params))
    if (!d.paramNames.includes(p)) fail(`${where}: unknown parameter ${named(p)} (known: ${d.paramNames.join(', ') || 'none'})`);
  for (const p of d.requiredParams) if (!l.params[p]) fail(`${where}: missing parameter "${p}"`);
  const params: Record<string, Float32Array> = {};
  const paramShapes: Record<string, Shape> = {};
  for (const [p, tname] of Object.entries(l.params)) {
    const t = tensors.get(tname);
    if (!t) return fail(`${where}: parameter "${p}" names tensor ${named(tname)}, which is not in the tensor table`);
    if (used.has(tname)) fail(`${where}: tensor ${named(tname)} is already used by another parameter`);
    used.add(tname);
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
    if (e instanceof ModelFormatError) throw e;
    return fail(`${where}: ${(e as Error)?.message}`);
  }
  // the data only once the shapes agree: a tensor that does not fit is never read
  for (const [p, tname] of Object.entries(l.params)) params[p] = readData(tensors.get(tname)!, weights);
  return { name: l.name, op: l.op, inputs: [...l.inputs], attrs, params, paramShapes, shape, flow };
}

/** A download that failed (the network, or an HTTP error), as opposed to a file that is wrong. */
export class ModelDownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDownloadError';
  }
}

/** Fetches `<folderUrl>model.json` and `<folderUrl>weights.bin` and parses them. */
export async function fetchModel(folderUrl: string, fetchFn: typeof fetch = fetch, options: ParseOptions = {}): Promise<Model> {
  const base = folderUrl.endsWith('/') ? folderUrl : `${folderUrl}/`;
  const get = async (file: string, maxBytes: number) => {
    let res: Response;
    try {
      res = await fetchFn(`${base}${file}`);
    } catch (e) {
      throw new ModelDownloadError(bounded(`could not download ${base}${file}: ${(e as Error)?.message ?? e}`));
    }
    if (!res.ok) throw new ModelDownloadError(bounded(`could not load ${base}${file}: HTTP ${res.status}`));
    const declared = Number(res.headers.get('content-length'));
    if (declared > 0) checkBudget(file, declared, maxBytes, ' bytes');
    return res;
  };
  const read = async <T>(file: string, body: () => Promise<T>): Promise<T> => {
    try {
      return await body();
    } catch (e) {
      throw new ModelDownloadError(bounded(`could not download ${base}${file}: ${(e as Error)?.message ?? e}`));
    }
  };
  const jsonRes = await get('model.json', MODEL_LIMITS.jsonChars * 4);
  const jsonText = await read('model.json', () => jsonRes.text());
  const json = parseJsonText(jsonText);
  const weightsRes = await get('weights.bin', MODEL_LIMITS.weightBytes);
  const weights = await read('weights.bin', () => weightsRes.arrayBuffer());
  return parseModel(json, weights, options);
}

/** model.json's text as JSON, its length and nesting measured first. */
export function parseJsonText(jsonText: string): unknown {
  checkBudget('model.json (characters)', jsonText.length, MODEL_LIMITS.jsonChars);
  if (jsonTextDepth(jsonText) > MODEL_LIMITS.jsonDepth) fail(`model.json is nested more than ${MODEL_LIMITS.jsonDepth} levels deep; a model needs 4`);
  try {
    return JSON.parse(jsonText);
  } catch (e) {
    return fail(`model.json is not valid JSON: ${String((e as Error)?.message).slice(0, 160)}`);
  }
}
