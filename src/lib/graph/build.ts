// Builds the one graph of a model (types.ts) from each layer's declared channel flow
// (ops/types.ts ChannelFlow): no list of op names. Nodes: input channels, filters of layers
// whose flow is 'kernels', one junction per channel of an 'add'; other layers are looked through.

import type { Layer, Model } from '../model/types';
import type { ChannelFlow } from '../ops/types';
import type { ConvGeometry } from '../ops/reference/conv2d';
import type { CircuitGraph, GraphLayer, KernelLayer, ModelGraph } from './types';
import { finishGraph } from './finish';

/** What the builder knows of a tensor's channels. */
interface TensorChannels {
  start: number;
  count: number;
  /** Drawn node each channel stands for: its own, or the one it comes from without a kernel. */
  node: Int32Array;
  /** Flat tensors: first feature of each run (length count + 1). */
  featureStarts?: Uint32Array;
  /** H x W of every channel when each is a plane of one map; null when runs differ. */
  plane: [number, number] | null;
}

const range = (n: number, f: (i: number) => number) => Int32Array.from({ length: n }, (_, i) => f(i));

class GraphBuilder {
  readonly layers: GraphLayer[] = [];
  readonly kernelLayers: KernelLayer[] = [];
  readonly tensors = new Map<string, TensorChannels>();
  readonly deps: { from: number[]; edge: number[] }[] = [];
  readonly nodeLayer: number[] = [];
  readonly nodeChannel: number[] = [];
  readonly nodeChannelId: number[] = [];
  readonly edges = { source: [] as number[], target: [] as number[], layer: [] as number[], out: [] as number[], in: [] as number[], sign: [] as number[], from: [] as number[], kernel: [] as number[] };

  constructor(readonly model: Model) {}

  private channels(name: string, count: number): number {
    const start = this.deps.length;
    for (let c = 0; c < count; c++) this.deps.push({ from: [], edge: [] });
    this.tensors.set(name, { start, count, node: new Int32Array(count).fill(-1), plane: null });
    return start;
  }

  private addNodes(g: GraphLayer, t: TensorChannels): void {
    for (let c = 0; c < g.nodeCount; c++) {
      t.node[c] = this.nodeLayer.length;
      this.nodeLayer.push(this.layers.length - 1);
      this.nodeChannel.push(c);
      this.nodeChannelId.push(t.start + c);
    }
  }

  private addLayer(name: string, op: string, kind: GraphLayer['kind'], modelLayer: number, count: number): GraphLayer {
    const g: GraphLayer = { name, op, kind, modelLayer, depth: 0, nodeStart: this.nodeLayer.length, nodeCount: count, edgeStart: this.edges.source.length, edgeCount: 0 };
    this.layers.push(g);
    return g;
  }

  /** An edge into node (g, o) from channel `fromId` (drawn from node `fromNode`). */
  private addEdge(g: GraphLayer, fromId: number, fromNode: number, o: number, i: number, sign: number, kernel: boolean): void {
    const e = this.edges;
    e.source.push(fromNode);
    e.target.push(g.nodeStart + o);
    e.layer.push(this.layers.length - 1);
    e.out.push(o);
    e.in.push(i);
    e.sign.push(sign);
    e.from.push(fromId);
    e.kernel.push(kernel ? 1 : 0);
    g.edgeCount++;
  }

  input(): void {
    const { name, channels, height, width } = this.model.input;
    const g = this.addLayer(name, 'input', 'input', -1, channels);
    this.channels(name, channels);
    const t = this.tensors.get(name)!;
    t.plane = [height, width];
    this.addNodes(g, t);
  }

  private get(layer: Layer, name: string): TensorChannels {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`graph: layer "${layer.name}" reads "${name}", which is not built yet`);
    return t;
  }

  layer(layer: Layer, index: number): void {
    const ins = layer.inputs.map((n) => this.get(layer, n));
    const flow: ChannelFlow | undefined = layer.flow;
    if (!flow) throw new Error(`graph: layer "${layer.name}" (${layer.op}) declares no channel flow`);
    switch (flow.kind) {
      case 'kernels': return this.kernels(layer, index, ins[0], flow);
      case 'add': return this.junctions(layer, index, ins);
      case 'concat': return this.lookThrough(layer, concatRuns(ins), (c) => [concatSource(ins, c)]);
      case 'flatten': return this.lookThrough(layer, flattenRuns(ins[0], layer), (c) => [ins[0].start + c]);
      case 'same': return this.lookThrough(layer, sameRuns(ins[0], layer, flow.window !== null), (c) => [ins[0].start + c]);
      case 'neighbours': return this.lookThrough(layer, sameRuns(ins[0], layer, false), (c) => neighbourIds(ins[0], c, flow.before, flow.after));
      case 'all':
        if (layer.shape[0] === ins[0].count && Object.keys(layer.params).length === 0)
          return this.lookThrough(layer, sameRuns(ins[0], layer, false), () => Array.from(range(ins[0].count, (j) => ins[0].start + j)));
        return this.dense(layer, index, ins[0]);
    }
  }

  /**
   * A dense block (a linear layer too big to draw kernel by kernel): its outputs are nodes of
   * their own, each depending on every input channel, with no edges drawn and no kernels scored.
   */
  private dense(layer: Layer, index: number, input: TensorChannels): void {
    const count = layer.shape[0];
    const g = this.addLayer(layer.name, layer.op, 'junction', index, count);
    const start = this.channels(layer.name, count);
    const t = this.tensors.get(layer.name)!;
    t.featureStarts = Uint32Array.from({ length: count + 1 }, (_, c) => c);
    this.addNodes(g, t);
    const from = Array.from(range(input.count, (j) => input.start + j));
    const edge = from.map(() => -1);
    for (let c = 0; c < count; c++) this.deps[start + c] = { from, edge };
  }

  /** A layer the drawing looks through: its channels depend on `sources(c)` with no kernel. */
  private lookThrough(layer: Layer, runs: Omit<TensorChannels, 'start'>, sources: (c: number) => number[]): void {
    const start = this.channels(layer.name, runs.count);
    this.tensors.set(layer.name, { ...runs, start });
    for (let c = 0; c < runs.count; c++) {
      const from = sources(c);
      this.deps[start + c] = { from, edge: from.map(() => -1) };
    }
  }

  private junctions(layer: Layer, index: number, ins: TensorChannels[]): void {
    const first = ins[0];
    const g = this.addLayer(layer.name, layer.op, 'junction', index, first.count);
    const start = this.channels(layer.name, first.count);
    const t = this.tensors.get(layer.name)!;
    Object.assign(t, { featureStarts: first.featureStarts, plane: first.plane });
    this.addNodes(g, t);
    for (let c = 0; c < first.count; c++) {
      ins.forEach((x, k) => this.addEdge(g, x.start + c, x.node[c], c, k, 1, false));
      this.deps[start + c] = { from: ins.map((x) => x.start + c), edge: ins.map(() => -1) };
    }
  }

  private kernels(layer: Layer, index: number, input: TensorChannels, flow: Extract<ChannelFlow, { kind: 'kernels' }>): void {
    const whole = flow.window === 'whole';
    const rows = layer.shape[0];
    const cols = input.count / flow.groups;
    if (!Number.isInteger(cols)) throw new Error(`graph: layer "${layer.name}" has ${flow.groups} groups for ${input.count} input channels`);
    const g = this.addLayer(layer.name, layer.op, 'kernels', index, rows);
    const start = this.channels(layer.name, rows);
    const t = this.tensors.get(layer.name)!;
    if (layer.shape.length === 3) t.plane = [layer.shape[1], layer.shape[2]];
    else t.featureStarts = Uint32Array.from({ length: rows + 1 }, (_, c) => c);
    this.addNodes(g, t);
    const starts = whole ? (input.featureStarts ?? planeStarts(input)) : null;
    if (starts) g.inputStarts = starts;
    const w = layer.params.weight;
    const width = whole ? starts![input.count] : cols * taps(flow);
    for (let o = 0; o < rows; o++) {
      const group = Math.floor(o / (rows / flow.groups));
      for (let i = 0; i < cols; i++) {
        const src = group * cols + i;
        const [a, b] = whole ? [starts![i], starts![i + 1]] : [i * taps(flow), (i + 1) * taps(flow)];
        this.addEdge(g, input.start + src, input.node[src], o, i, signOf(w, o * width + a, b - a), true);
        this.deps[start + o].from.push(input.start + src);
        this.deps[start + o].edge.push(this.edges.source.length - 1);
      }
    }
    this.kernelLayers.push(kernelLayer(this.model, layer, index, this.layers.length - 1, g.edgeStart, rows, cols, flow, input));
  }

  finish(): ModelGraph {
    const e = this.edges;
    const drawn: CircuitGraph = {
      layers: this.layers,
      nodeCount: this.nodeLayer.length,
      edgeCount: e.source.length,
      nodeLayer: Uint32Array.from(this.nodeLayer),
      nodeChannel: Uint32Array.from(this.nodeChannel),
      edgeSource: Uint32Array.from(e.source),
      edgeTarget: Uint32Array.from(e.target),
      edgeLayer: Uint32Array.from(e.layer),
      edgeOut: Uint32Array.from(e.out),
      edgeIn: Uint32Array.from(e.in),
      edgeSign: Int8Array.from(e.sign),
    };
    const featureStarts = new Map<string, Uint32Array>();
    for (const [name, t] of this.tensors) if (t.featureStarts) featureStarts.set(name, t.featureStarts);
    return finishGraph(drawn, {
      kernelLayers: this.kernelLayers,
      edgeIsKernel: Uint8Array.from(e.kernel),
      channelStart: new Map([...this.tensors].map(([n, t]) => [n, t.start])),
      featureStarts,
      deps: this.deps.map((d) => ({ from: Int32Array.from(d.from), edge: Int32Array.from(d.edge) })),
      inputName: this.model.input.name,
      edgeFrom: Int32Array.from(e.from),
      nodeChannelId: Int32Array.from(this.nodeChannelId),
    });
  }
}

const taps = (flow: Extract<ChannelFlow, { kind: 'kernels' }>) => (flow.window === 'whole' ? 1 : flow.window.kernel[0] * flow.window.kernel[1]);

/** Runs of a map seen flat: channel c is features c*H*W .. (c+1)*H*W. */
function planeStarts(t: TensorChannels): Uint32Array {
  const hw = t.plane ? t.plane[0] * t.plane[1] : 1;
  return Uint32Array.from({ length: t.count + 1 }, (_, c) => c * hw);
}

function sameRuns(t: TensorChannels, layer: Layer, newPlane: boolean): Omit<TensorChannels, 'start'> {
  const plane: [number, number] | null = newPlane && layer.shape.length === 3 ? [layer.shape[1], layer.shape[2]] : t.plane;
  return { count: t.count, node: t.node, featureStarts: t.featureStarts, plane };
}

function flattenRuns(t: TensorChannels, layer: Layer): Omit<TensorChannels, 'start'> {
  if (t.featureStarts) return { ...t };
  if (!t.plane) throw new Error(`graph: layer "${layer.name}" flattens a tensor whose channels are not planes`);
  return { count: t.count, node: t.node, featureStarts: planeStarts(t), plane: t.plane };
}

function concatRuns(ins: TensorChannels[]): Omit<TensorChannels, 'start'> {
  const count = ins.reduce((s, x) => s + x.count, 0);
  const node = new Int32Array(count);
  let at = 0;
  for (const x of ins) {
    node.set(x.node, at);
    at += x.count;
  }
  const samePlane = ins.every((x) => x.plane && ins[0].plane && x.plane[0] === ins[0].plane[0] && x.plane[1] === ins[0].plane[1]);
  if (!ins.every((x) => x.featureStarts)) return { count, node, plane: samePlane ? ins[0].plane : null };
  const featureStarts = new Uint32Array(count + 1);
  let c = 0, offset = 0;
  for (const x of ins) {
    for (let i = 0; i < x.count; i++) featureStarts[c++] = offset + x.featureStarts![i];
    offset += x.featureStarts![x.count];
  }
  featureStarts[c] = offset;
  return { count, node, featureStarts, plane: samePlane ? ins[0].plane : null };
}

function concatSource(ins: TensorChannels[], c: number): number {
  for (const x of ins) {
    if (c < x.count) return x.start + c;
    c -= x.count;
  }
  throw new RangeError('concat channel out of range');
}

function neighbourIds(t: TensorChannels, c: number, before: number, after: number): number[] {
  const out: number[] = [];
  for (let j = Math.max(0, c - before); j <= Math.min(t.count - 1, c + after); j++) out.push(t.start + j);
  return out;
}

function kernelLayer(
  model: Model, layer: Layer, modelLayer: number, graphLayer: number, edgeStart: number, rows: number, cols: number,
  flow: Extract<ChannelFlow, { kind: 'kernels' }>, input: TensorChannels,
): KernelLayer {
  const whole = flow.window === 'whole';
  const [H, W] = input.plane ?? [1, 1];
  const geometry: ConvGeometry = whole
    ? { kernel: [H, W], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 }
    : { ...(flow.window as Exclude<typeof flow.window, 'whole'>), groups: flow.groups };
  const outMap: [number, number, number] = layer.shape.length === 3 ? [rows, layer.shape[1], layer.shape[2]] : [rows, 1, 1];
  return {
    name: layer.name, op: layer.op, modelLayer, graphLayer, rows, cols, groups: flow.groups,
    taps: geometry.kernel[0] * geometry.kernel[1], inMap: [input.count, H, W], outMap, geometry, wholeChannels: whole,
    mapNode: mapNodeOf(model, layer.name), edgeStart,
  };
}

/**
 * The node whose map is a filter layer's feature (seed 001: a node applies its activation): its
 * sole consumer when that is declared an activation, else the layer. Takes a Model or the
 * page's model summary alike.
 */
export function mapNodeOf(model: { layers: readonly { name: string; inputs: string[]; flow: ChannelFlow }[] }, layer: string): string {
  const consumers = model.layers.filter((l) => l.inputs.includes(layer));
  const only = consumers.length === 1 ? consumers[0] : null;
  return only && only.flow.kind === 'same' && only.flow.activation ? only.name : layer;
}

function signOf(w: Float32Array, start: number, count: number): number {
  let s = 0;
  for (let k = 0; k < count; k++) s += w[start + k];
  return s > 0 ? 1 : s < 0 ? -1 : 0;
}

const built = new WeakMap<Model, ModelGraph>();

/** The model's graph, built once per model. */
export function buildGraph(model: Model): ModelGraph {
  let g = built.get(model);
  if (g) return g;
  const b = new GraphBuilder(model);
  b.input();
  model.layers.forEach((l, i) => b.layer(l, i));
  g = b.finish();
  built.set(model, g);
  return g;
}

/** The drawn part alone (plain typed arrays), e.g. to send to the page. */
export function drawnGraph(g: ModelGraph): CircuitGraph {
  const { layers, nodeCount, edgeCount, nodeLayer, nodeChannel, edgeSource, edgeTarget, edgeLayer, edgeOut, edgeIn, edgeSign } = g;
  return { layers, nodeCount, edgeCount, nodeLayer, nodeChannel, edgeSource, edgeTarget, edgeLayer, edgeOut, edgeIn, edgeSign };
}

/** The weights of edge e (a kernel, or a run of a linear layer's weights), a view into the model's weights. */
export function edgeWeights(model: Model, graph: ModelGraph, e: number): Float32Array {
  const g = graph.layers[graph.edgeLayer[e]];
  if (g.kind !== 'kernels') return new Float32Array([1]);
  const k = graph.kernelLayerOf[graph.edgeLayer[e]]!;
  const w = model.layers[g.modelLayer].params.weight;
  const o = graph.edgeOut[e], i = graph.edgeIn[e];
  if (g.inputStarts) {
    const width = g.inputStarts[g.inputStarts.length - 1];
    return w.subarray(o * width + g.inputStarts[i], o * width + g.inputStarts[i + 1]);
  }
  const at = (o * k.cols + i) * k.taps;
  return w.subarray(at, at + k.taps);
}
