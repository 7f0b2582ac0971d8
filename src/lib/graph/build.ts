// The graph of a model as plain data: every input colour channel and every output channel of
// a conv2d or linear layer is a node, every 2D kernel (or linear weight run) an edge; residual
// `add`s get one junction node per channel. Flat typed arrays, no GPU. See docs: method.md.

import type { Layer, Model } from '../model/types';

/** One column of the graph: the input, a conv2d/linear layer ("units") or an add (junctions). */
export interface GraphLayer {
  name: string;
  /** 'input', 'conv2d', 'linear' or 'add'. */
  op: string;
  /** Index in model.layers; -1 for the input. */
  modelLayer: number;
  /** Longest path from the input, counting unit layers and junction layers as one step each. */
  depth: number;
  nodeStart: number;
  nodeCount: number;
  edgeStart: number;
  edgeCount: number;
  /**
   * Linear layers only: weight column where each input run starts (length runs + 1). Edge
   * (o, i) covers weight[o, inputStarts[i] .. inputStarts[i + 1]), e.g. the H*W weights of
   * one flattened channel.
   */
  inputStarts?: Uint32Array;
}

export interface CircuitGraph {
  layers: GraphLayer[];
  nodeCount: number;
  edgeCount: number;
  /** Graph layer of each node. */
  nodeLayer: Uint32Array;
  /** Channel of each node within its layer's output. */
  nodeChannel: Uint32Array;
  edgeSource: Uint32Array;
  edgeTarget: Uint32Array;
  /** Graph layer of each edge (the layer of its target). */
  edgeLayer: Uint32Array;
  /**
   * Position of the edge in its layer's weight array: conv2d W[o, i] (i counted within the
   * group, as the weight stores it), linear run (o, i) as described by `inputStarts`; for an
   * add junction, o is the channel and i the index of the addend.
   */
  edgeOut: Uint32Array;
  edgeIn: Uint32Array;
  /** Sign of the kernel's sum (+1, -1, or 0); identity edges are +1. */
  edgeSign: Int8Array;
}

/** Ops that keep channel c in channel c (the graph looks through them). */
const CHANNEL_PRESERVING = new Set(['relu', 'maxpool', 'avgpool', 'adaptiveavgpool', 'lrn', 'batchnorm', 'dropout', 'softmax']);

/** Where each channel of a tensor comes from; 1D tensors also know their feature runs. */
interface Channels {
  source: Int32Array;
  /** 1D tensors only: first feature of each channel (length channels + 1). */
  featureStarts?: Uint32Array;
}

export function buildGraph(model: Model): CircuitGraph {
  const layers: GraphLayer[] = [];
  const channels = new Map<string, Channels>();
  const nodeLayer: number[] = [];
  const nodeChannel: number[] = [];
  const src: number[] = [], dst: number[] = [], eLayer: number[] = [], eOut: number[] = [], eIn: number[] = [], eSign: number[] = [];

  const addLayer = (name: string, op: string, modelLayer: number, count: number): GraphLayer => {
    const g: GraphLayer = { name, op, modelLayer, depth: 0, nodeStart: nodeLayer.length, nodeCount: count, edgeStart: src.length, edgeCount: 0 };
    for (let c = 0; c < count; c++) {
      nodeLayer.push(layers.length);
      nodeChannel.push(c);
    }
    layers.push(g);
    return g;
  };
  const addEdge = (g: GraphLayer, from: number, o: number, i: number, sign: number) => {
    if (from < 0) return;
    src.push(from);
    dst.push(g.nodeStart + o);
    eLayer.push(layers.length - 1); // edges are added while g is the newest layer
    eOut.push(o);
    eIn.push(i);
    eSign.push(sign);
    g.edgeCount++;
  };
  const unitChannels = (g: GraphLayer, oneD: boolean): Channels => {
    const source = new Int32Array(g.nodeCount).map((_, c) => g.nodeStart + c);
    return oneD ? { source, featureStarts: new Uint32Array(g.nodeCount + 1).map((_, c) => c) } : { source };
  };
  const get = (layer: Layer, name: string): Channels => {
    const c = channels.get(name);
    if (!c) throw new Error(`graph: layer "${layer.name}" reads "${name}", which is not built yet`);
    return c;
  };

  const input = addLayer(model.input.name, 'input', -1, model.input.channels);
  channels.set(model.input.name, unitChannels(input, false));

  model.layers.forEach((layer, index) => {
    const ins = layer.inputs.map((n) => get(layer, n));
    if (layer.op === 'conv2d') {
      const g = addLayer(layer.name, 'conv2d', index, layer.shape[0]);
      const [, cinPerGroup, kh, kw] = layer.paramShapes.weight;
      const groups = (layer.attrs.groups as number) ?? 1;
      const outPerGroup = g.nodeCount / groups;
      const k = kh * kw;
      const w = layer.params.weight;
      for (let o = 0; o < g.nodeCount; o++) {
        const group = Math.floor(o / outPerGroup);
        for (let i = 0; i < cinPerGroup; i++) {
          addEdge(g, ins[0].source[group * cinPerGroup + i], o, i, signOf(w, (o * cinPerGroup + i) * k, k));
        }
      }
      channels.set(layer.name, unitChannels(g, false));
    } else if (layer.op === 'linear') {
      const g = addLayer(layer.name, 'linear', index, layer.shape[0]);
      const from = flattened(ins[0], model, layer.inputs[0]);
      g.inputStarts = from.featureStarts;
      const inFeatures = layer.paramShapes.weight[1];
      const w = layer.params.weight;
      const runs = from.source.length;
      for (let o = 0; o < g.nodeCount; o++) {
        for (let i = 0; i < runs; i++) {
          const a = from.featureStarts![i], b = from.featureStarts![i + 1];
          addEdge(g, from.source[i], o, i, signOf(w, o * inFeatures + a, b - a));
        }
      }
      channels.set(layer.name, unitChannels(g, true));
    } else if (layer.op === 'add') {
      const count = ins[0].source.length;
      const g = addLayer(layer.name, 'add', index, count);
      for (let c = 0; c < count; c++) ins.forEach((x, k) => addEdge(g, x.source[c], c, k, 1));
      const own = unitChannels(g, false);
      channels.set(layer.name, ins[0].featureStarts ? { ...own, featureStarts: ins[0].featureStarts } : own);
    } else if (layer.op === 'concat') {
      channels.set(layer.name, concatChannels(ins));
    } else if (layer.op === 'flatten') {
      channels.set(layer.name, flattened(ins[0], model, layer.inputs[0]));
    } else if (CHANNEL_PRESERVING.has(layer.op)) {
      channels.set(layer.name, ins[0]);
    } else {
      throw new Error(`graph: layer "${layer.name}" has op "${layer.op}", which the graph does not know`);
    }
  });

  // Depth: longest path from the input over the edges (edges only go to later layers).
  const layerDepth = new Array<number>(layers.length).fill(0);
  for (let e = 0; e < src.length; e++) {
    const l = eLayer[e];
    layerDepth[l] = Math.max(layerDepth[l], layerDepth[nodeLayer[src[e]]] + 1);
  }
  layers.forEach((g, i) => (g.depth = layerDepth[i]));

  return {
    layers,
    nodeCount: nodeLayer.length,
    edgeCount: src.length,
    nodeLayer: Uint32Array.from(nodeLayer),
    nodeChannel: Uint32Array.from(nodeChannel),
    edgeSource: Uint32Array.from(src),
    edgeTarget: Uint32Array.from(dst),
    edgeLayer: Uint32Array.from(eLayer),
    edgeOut: Uint32Array.from(eOut),
    edgeIn: Uint32Array.from(eIn),
    edgeSign: Int8Array.from(eSign),
  };
}

/** A tensor seen as 1D: a [C, H, W] map becomes C runs of H*W features. */
function flattened(x: Channels, model: Model, name: string): Required<Channels> {
  if (x.featureStarts) return x as Required<Channels>;
  const shape = name === model.input.name ? [model.input.channels, model.input.height, model.input.width] : model.layers.find((l) => l.name === name)!.shape;
  const hw = shape.length === 3 ? shape[1] * shape[2] : 1;
  return { source: x.source, featureStarts: new Uint32Array(x.source.length + 1).map((_, c) => c * hw) };
}

function concatChannels(ins: Channels[]): Channels {
  const source = new Int32Array(ins.reduce((s, x) => s + x.source.length, 0));
  let at = 0;
  for (const x of ins) {
    source.set(x.source, at);
    at += x.source.length;
  }
  if (!ins.every((x) => x.featureStarts)) return { source };
  const featureStarts = new Uint32Array(source.length + 1);
  let c = 0, offset = 0;
  for (const x of ins) {
    for (let i = 0; i < x.source.length; i++) featureStarts[c++] = offset + x.featureStarts![i];
    offset += x.featureStarts![x.source.length];
  }
  featureStarts[c] = offset;
  return { source, featureStarts };
}

function signOf(w: Float32Array, start: number, count: number): number {
  let s = 0;
  for (let k = 0; k < count; k++) s += w[start + k];
  return s > 0 ? 1 : s < 0 ? -1 : 0;
}

/** The weights of edge e (a kernel, or a linear run), a view into the model's weight array. */
export function edgeWeights(model: Model, graph: CircuitGraph, e: number): Float32Array {
  const g = graph.layers[graph.edgeLayer[e]];
  if (g.op === 'add') return new Float32Array([1]);
  const layer = model.layers[g.modelLayer];
  const w = layer.params.weight;
  const shape = layer.paramShapes.weight;
  const o = graph.edgeOut[e], i = graph.edgeIn[e];
  if (g.op === 'linear') {
    const a = g.inputStarts![i], b = g.inputStarts![i + 1];
    return w.subarray(o * shape[1] + a, o * shape[1] + b);
  }
  const k = shape[2] * shape[3];
  const at = (o * shape[1] + i) * k;
  return w.subarray(at, at + k);
}
