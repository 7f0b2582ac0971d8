// Opens an .onnx file as a microscope model: decodes it, converts each node onto the engine's
// ops (convertLayers.ts, convertShapes.ts), and hands the result to the same validation as a
// built-in model (parseModel), so an imported model obeys every rule of docs/model-format.md.

import { ModelFormatError, type Model } from '../types';
import { MODEL_FORMAT, parseModel } from '../load';
import { decodeModel, opsetOf, quote, tensorDims, tensorValues, toNumber, type GraphProto, type ModelProto } from './decode';
import { ImportContext, describeNode, type TensorValue, type WeightOrigin } from './context';
import { NodeIO, constant, type Converter } from './nodeIO';
import { LAYER_CONVERTERS } from './convertLayers';
import { SHAPE_CONVERTERS } from './convertShapes';

const CONVERTERS: Record<string, Converter> = { ...LAYER_CONVERTERS, ...SHAPE_CONVERTERS };

/** The ONNX op types the importer understands. */
export const SUPPORTED_ONNX_OPS = Object.keys(CONVERTERS).sort();
/** The computing ops by name and the rest by count: short enough for a message (docs/onnx.md lists all). */
const SUPPORTED_SUMMARY = `${Object.keys(LAYER_CONVERTERS).join(', ')} and shape ops (Flatten, Reshape, Pad, …)`;

export interface OnnxSummary {
  irVersion: number;
  opset: number;
  producer: string;
  inputName: string;
  channels: number;
  /** Null where the file leaves the size open. */
  height: number | null;
  width: number | null;
  /** The output's size per image, where the file states it. */
  classCount: number | null;
  nodeCount: number;
}

/** What the visitor says about the model's input and outputs (the import dialog). */
export interface Preprocessing {
  height: number;
  width: number;
  /** Per channel, in the model's channel order, for pixels scaled to [0, 1]. */
  mean: number[];
  std: number[];
  /** The order of the model's input channels; images are RGB, so 'bgr' swaps the first layer's kernels. */
  channelOrder: 'rgb' | 'bgr';
  classes: string[];
}

export const IMAGENET_PREPROCESSING: Omit<Preprocessing, 'classes'> = {
  height: 224, width: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channelOrder: 'rgb',
};

export interface OnnxImport {
  model: Model;
  /** Conv and linear layer name -> the ONNX initializer holding its weight (for export). */
  weightInitializers: Record<string, string>;
  weightOrigins: Record<string, WeightOrigin>;
  /** Layer name -> the ONNX node it came from. */
  nodeOfLayer: Record<string, string>;
  summary: OnnxSummary;
}

interface GraphInput { name: string; dims: (number | null)[] }

function graphInput(graph: GraphProto): GraphInput {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name));
  if (inputs.length !== 1) throw new ModelFormatError(`the graph has ${inputs.length} inputs (${inputs.slice(0, 4).map((i) => quote(i.name, 30)).join(', ')}); the microscope needs exactly one image input`);
  const dims = (inputs[0].type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue != null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : null));
  if (dims.length !== 4) throw new ModelFormatError(`the input ${quote(inputs[0].name)} has ${dims.length} dims; an image input is [batch, channels, height, width]`);
  if (dims[1] == null) throw new ModelFormatError(`the input ${quote(inputs[0].name)} does not state its number of channels`);
  return { name: inputs[0].name ?? 'input', dims };
}

function outputSize(graph: GraphProto): number | null {
  const dims = (graph.output?.[0]?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue != null ? toNumber(d.dimValue) : 0));
  if (dims.length < 2) return null;
  const size = dims.slice(1).reduce((a, b) => a * b, 1);
  return size > 0 ? size : null;
}

function summarize(model: ModelProto): OnnxSummary {
  const graph = model.graph!;
  const input = graphInput(graph);
  return {
    irVersion: toNumber(model.irVersion ?? 0), opset: opsetOf(model), producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
    inputName: input.name, channels: input.dims[1]!, height: input.dims[2], width: input.dims[3],
    classCount: outputSize(graph), nodeCount: graph.node!.length,
  };
}

/** The facts the import dialog starts from; throws ModelFormatError when the file is not a usable ONNX model. */
export function inspectOnnx(bytes: Uint8Array): OnnxSummary {
  return summarize(decodeModel(bytes));
}

function checkPreprocessing(summary: OnnxSummary, prep: Preprocessing): void {
  const { channels } = summary;
  for (const [k, fixed] of [['height', summary.height], ['width', summary.width]] as const) {
    const v = prep[k];
    if (!Number.isInteger(v) || v < 1 || v > 4096) throw new ModelFormatError(`input ${k} ${v} must be a whole number from 1 to 4096`);
    if (fixed != null && fixed !== v) throw new ModelFormatError(`the model's input is fixed at ${summary.height}x${summary.width}; an input ${k} of ${v} does not fit it`);
  }
  for (const k of ['mean', 'std'] as const)
    if (prep[k].length !== channels || prep[k].some((x) => !Number.isFinite(x))) throw new ModelFormatError(`${k} must list ${channels} number(s), one per input channel`);
  if (prep.std.some((s) => s <= 0)) throw new ModelFormatError('std must be positive');
  if (prep.channelOrder === 'bgr' && channels !== 3) throw new ModelFormatError('BGR channel order needs a 3-channel input');
}

/** Runs every node through its converter; an unknown op is named with its place in the graph. */
function convertNodes(model: ModelProto, ctx: ImportContext): void {
  const graph = model.graph!;
  const opset = opsetOf(model);
  const nodes = graph.node!;
  for (const t of graph.initializer ?? []) ctx.set(t.name, constant(tensorDims(t), tensorValues(t, `initializer ${quote(t.name)}`)));
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  for (const o of graph.output ?? []) used.add(o.name ?? '');
  nodes.forEach((node, i) => {
    const where = describeNode(node, i, nodes.length);
    if (node.domain && node.domain !== 'ai.onnx') throw new ModelFormatError(`${where} is from the operator set ${quote(node.domain, 40)}, which is not supported`);
    const convert = Object.prototype.hasOwnProperty.call(CONVERTERS, node.opType ?? '') ? CONVERTERS[node.opType!] : undefined;
    if (!convert) throw new ModelFormatError(`${where} is not supported; supported: ${SUPPORTED_SUMMARY}`);
    const io = new NodeIO(ctx, node, where, opset);
    io.onlyFirstOutput(used);
    convert(io);
  });
}

/** The layer holding the logits: the graph's output, or the input of a final Softmax; flattened if it is a [C, 1, 1] map. */
function logitsLayer(graph: GraphProto, ctx: ImportContext): string {
  const name = graph.output?.[0]?.name;
  const v = name ? ctx.values.get(name) : undefined;
  if (!v || v.kind !== 'tensor' || v.layer === ctx.inputName) throw new ModelFormatError(`the graph's output ${quote(name)} is not computed from the input`);
  let layer = v.layer;
  const spec = ctx.layers.find((l) => l.name === layer);
  if (spec?.op === 'softmax') layer = spec.inputs[0];
  const shape = ctx.shapes.get(layer)!;
  if (shape.length === 3 && shape[1] === 1 && shape[2] === 1) {
    const flat = ctx.addLayer({ name: `${layer}.flatten` }, `the output ${quote(name)}`, 'flatten', [{ kind: 'tensor', layer, shape } as TensorValue], {});
    layer = flat.layer;
  }
  return layer;
}

/** Makes the model take RGB images: reverses the input channels of every layer reading the input. */
function swapInputChannels(ctx: ImportContext): void {
  for (const l of ctx.layers.filter((l) => l.inputs.includes(ctx.inputName))) {
    if (l.op !== 'conv2d' || (l.attrs.groups ?? 1) !== 1) throw new ModelFormatError(`BGR order: layer "${l.name}" reads the input but is not an ungrouped Conv, so its channels cannot be swapped`);
    const t = ctx.tensors.find((t) => t.name === l.params.weight)!;
    const [co, ci, kh, kw] = t.dims;
    const plane = kh * kw;
    const swapped = new Float32Array(t.data.length);
    for (let o = 0; o < co; o++)
      for (let c = 0; c < ci; c++) swapped.set(t.data.subarray((o * ci + c) * plane, (o * ci + c + 1) * plane), (o * ci + (ci - 1 - c)) * plane);
    t.data = swapped;
  }
}

/** Lays the tensors end to end as weights.bin does, with the model.json tensor table. */
function packTensors(ctx: ImportContext): { table: Record<string, { shape: number[]; offset: number }>; weights: ArrayBuffer } {
  const table: Record<string, { shape: number[]; offset: number }> = {};
  let offset = 0;
  for (const t of ctx.tensors) {
    table[t.name] = { shape: t.dims, offset };
    offset += t.data.length * 4;
  }
  const weights = new Float32Array(offset / 4);
  for (const t of ctx.tensors) weights.set(t.data, table[t.name].offset / 4);
  return { table, weights: weights.buffer };
}

/** Imports an .onnx file as a model with the given preprocessing and class names. */
export function importOnnx(bytes: Uint8Array, name: string, prep: Preprocessing, options: { foldBatchnorm?: boolean } = {}): OnnxImport {
  const proto = decodeModel(bytes);
  const summary = summarize(proto);
  checkPreprocessing(summary, prep);
  const ctx = new ImportContext(summary.inputName.replace(/[^A-Za-z0-9_.-]+/g, '_') || 'input', [summary.channels, prep.height, prep.width]);
  ctx.set(summary.inputName, { kind: 'tensor', layer: ctx.inputName, shape: [summary.channels, prep.height, prep.width] });
  convertNodes(proto, ctx);
  const output = logitsLayer(proto.graph!, ctx);
  const outShape = ctx.shapes.get(output)!;
  if (outShape.length !== 1 || outShape[0] !== prep.classes.length)
    throw new ModelFormatError(`the model gives ${outShape.join('x')} outputs per image but ${prep.classes.length} class names were given; give one name per output`);
  if (prep.channelOrder === 'bgr') swapInputChannels(ctx);
  const flip = <T>(v: T[]) => (prep.channelOrder === 'bgr' ? [...v].reverse() : v);
  const { table, weights } = packTensors(ctx);
  const json = {
    format: MODEL_FORMAT, name, description: `Imported from ONNX (${summary.producer || 'unknown producer'}, opset ${summary.opset})`,
    input: { name: ctx.inputName, channels: summary.channels, height: prep.height, width: prep.width, mean: flip(prep.mean), std: flip(prep.std) },
    classes: prep.classes, layers: ctx.layers, output, tensors: table,
  };
  const model = parseModel(json, weights, options);
  const weightInitializers: Record<string, string> = {};
  const weightOrigins: Record<string, WeightOrigin> = {};
  for (const layer of model.layers) {
    if (layer.op !== 'conv2d' && layer.op !== 'linear') continue;
    const origin = ctx.weightOrigins[layer.name] ?? convWeightOrigin(proto, ctx, layer.name);
    if (!origin) continue;
    const reversed = prep.channelOrder === 'bgr' && layer.inputs.includes(ctx.inputName);
    weightOrigins[layer.name] = reversed ? { ...origin, reversedInputChannels: true } : origin;
    weightInitializers[layer.name] = origin.initializer;
  }
  return { model, weightInitializers, weightOrigins, nodeOfLayer: ctx.nodeOfLayer, summary };
}

function convWeightOrigin(proto: ModelProto, ctx: ImportContext, layer: string): WeightOrigin | undefined {
  const node = proto.graph!.node!.find((n) => (n.name || n.output?.[0] || '') === ctx.nodeOfLayer[layer]);
  const initializer = node?.input?.[1];
  return initializer ? { initializer, transposed: false } : undefined;
}
