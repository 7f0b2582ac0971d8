// The one graph of a model: nodes are filters (and input colour channels and residual
// junctions), edges are 2D kernels (and junction links), and beneath them every tensor's
// channels with what each depends on. Built once per model by build.ts from the ops' declared
// channel flows; circuits, the worker, the renderer and feature visualization all read it.

import type { ConvGeometry } from '../ops/reference/conv2d';

/** One column of the drawn graph: the input, a layer of filters ("kernels") or an add (junctions). */
export interface GraphLayer {
  name: string;
  /** The model op that made it ('input' for the model input). */
  op: string;
  /** input: colour channels; kernels: filters whose incoming edges are kernels; junction: an add. */
  kind: 'input' | 'kernels' | 'junction';
  /** Index in model.layers; -1 for the input. */
  modelLayer: number;
  /** Longest path from the input, counting filter layers and junction layers as one step each. */
  depth: number;
  nodeStart: number;
  nodeCount: number;
  edgeStart: number;
  edgeCount: number;
  /**
   * Filters that read whole channels (linear layers): weight column where each input run starts
   * (length runs + 1). Edge (o, i) covers weight[o, inputStarts[i] .. inputStarts[i + 1]), e.g.
   * the H*W weights of one flattened channel.
   */
  inputStarts?: Uint32Array;
}

/** The drawn graph as plain data (what the page receives and the renderer draws). */
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
   * Position of the edge in its layer's weight array: W[o, i] (i counted within the group, as
   * the weight stores it), or run (o, i) as described by `inputStarts`; for an add junction, o
   * is the channel and i the index of the addend.
   */
  edgeOut: Uint32Array;
  edgeIn: Uint32Array;
  /** Sign of the kernel's sum (+1, -1, or 0); junction edges are +1. */
  edgeSign: Int8Array;
}

/** A layer of filters whose kernels are edges (conv2d, linear, ...), with its edges' geometry. */
export interface KernelLayer {
  name: string;
  op: string;
  /** Index in model.layers. */
  modelLayer: number;
  /** Index in graph.layers. */
  graphLayer: number;
  /** Output channels (edge rows). */
  rows: number;
  /** Input channels per group (edge columns). */
  cols: number;
  groups: number;
  /** Weights of one kernel. */
  taps: number;
  /** The input seen as a map [C, H, W] (runs of a flat input: [runs, H, W]; single features [F, 1, 1]). */
  inMap: [number, number, number];
  /** Output map [rows, Ho, Wo] ([rows, 1, 1] for a flat output). */
  outMap: [number, number, number];
  /** The window one kernel slides (a whole-channel kernel: the channel's H x W, stride 1). */
  geometry: ConvGeometry;
  /** Whether each kernel reads a whole input channel (a linear layer), not a sliding window. */
  wholeChannels: boolean;
  /** The node whose map is a filter's feature: the filter's nonlinearity (its sole consumer), or itself. */
  mapNode: string;
  /** First graph edge of this layer; edge (o, j) is edgeStart + o * cols + j. */
  edgeStart: number;
}

/** Per channel id: the channel ids it depends on, and the kernel (graph edge) of each, or -1. */
export interface ChannelDeps {
  from: Int32Array;
  edge: Int32Array;
}

/**
 * The drawn graph plus what lies beneath it. Every tensor (the input and each layer's output)
 * has channel ids: one per channel of a map, one per run of features of a flat tensor (a
 * flattened channel is one run). Kernels are graph edges; junction edges are not kernels.
 */
export interface ModelGraph extends CircuitGraph {
  kernelLayers: KernelLayer[];
  /** Per graph layer: its kernel layer, or null (input, junctions). */
  kernelLayerOf: (KernelLayer | null)[];
  /** Per graph edge: 1 for a kernel, 0 for a junction edge. */
  edgeIsKernel: Uint8Array;
  channelCount: number;
  /** First channel id of each tensor (the input and every layer, by name). */
  channelStart: Map<string, number>;
  /** Per tensor with runs of features: where each run starts (length runs + 1); maps have none. */
  featureStarts: Map<string, Uint32Array>;
  deps: ChannelDeps[];
  inputChannels: number[];
  /** Channel id each graph edge reads. */
  edgeFrom: Int32Array;
  /** Per graph node: its channel id. */
  channelOfNode: Int32Array;
  /** Per channel id: its graph node, or -1 for channels the drawing looks through (relu, pool, concat, ...). */
  nodeOfChannel: Int32Array;
  /** Incoming edges of node n: inEdges[inStart[n] .. inStart[n + 1]). */
  inStart: Uint32Array;
  inEdges: Uint32Array;
}
