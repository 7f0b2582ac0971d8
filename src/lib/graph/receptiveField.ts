// The exact receptive field of a map pixel: the rectangle of input pixels that can change it,
// through every kernel, stride, padding, dilation and pool on the way (union over branches),
// clipped to the image. Each axis is an interval walked back through the DAG in one pass.

import type { CircuitGraph } from './types';
import type { ChannelFlow } from '../ops/types';

/** What receptive fields need of a model: names, ops, inputs, attributes, shapes (a Model or the worker's ModelSummary). */
export interface ModelStructure {
  input: { name: string; height: number; width: number };
  layers: StructureLayer[];
}

export interface StructureLayer {
  name: string;
  inputs: string[];
  shape: number[];
  flow: ChannelFlow;
}

/** Inclusive pixel bounds in the input image. */
export interface Rect {
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

type Interval = [number, number];

/** Pairs of [lo, hi] intervals per tensor: [rows, cols]. */
type Box = [Interval, Interval];

/**
 * Receptive field of pixel (y, x) of the map of layer `name` (the input included; a 1D layer
 * such as a linear one has a single pixel, (0, 0)).
 */
export function receptiveField(model: ModelStructure, name: string, y: number, x: number): Rect {
  const size = new Map<string, [number, number]>();
  size.set(model.input.name, [model.input.height, model.input.width]);
  for (const l of model.layers) size.set(l.name, l.shape.length === 3 ? [l.shape[1], l.shape[2]] : [1, 1]);
  const start = size.get(name);
  if (!start) throw new Error(`receptive field: no layer named "${name}"`);
  if (y < 0 || x < 0 || y >= start[0] || x >= start[1]) throw new Error(`receptive field: pixel (${y}, ${x}) is outside "${name}" (${start[0]}x${start[1]})`);

  const boxes = new Map<string, Box>([[name, [[y, y], [x, x]]]]);
  const merge = (to: string, b: Box) => {
    const [h, w] = size.get(to)!;
    const clipped: Box = [clip(b[0], h), clip(b[1], w)];
    if (clipped[0][0] > clipped[0][1] || clipped[1][0] > clipped[1][1]) return; // only padding
    const old = boxes.get(to);
    boxes.set(to, old ? [hull(old[0], clipped[0]), hull(old[1], clipped[1])] : clipped);
  };
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const layer = model.layers[i];
    const box = boxes.get(layer.name);
    if (!box) continue;
    for (const input of layer.inputs) merge(input, backProject(layer, box, size.get(input)!));
  }
  const rf = boxes.get(model.input.name);
  if (!rf) throw new Error(`receptive field: "${name}" does not depend on the input`);
  return { y0: rf[0][0], y1: rf[0][1], x0: rf[1][0], x1: rf[1][1] };
}

/** Receptive field of pixel (y, x) of a graph node's map (a unit's map is its layer's output). */
export function nodeReceptiveField(model: ModelStructure, graph: CircuitGraph, node: number, y: number, x: number): Rect {
  return receptiveField(model, graph.layers[graph.nodeLayer[node]].name, y, x);
}

/** The spatial window of a layer's declared channel flow: a window, adaptive bins, the whole map, or the same pixel. */
function windowOf(flow: ChannelFlow) {
  if (flow.kind === 'flatten') return 'whole' as const;
  if (flow.kind === 'kernels' || flow.kind === 'same') return flow.window;
  return null; // neighbours (across channels only), concat, add, all: the same pixel
}

/** The input region a box of a layer's output reads, per axis, before clipping. */
function backProject(layer: StructureLayer, [rows, cols]: Box, inSize: [number, number]): Box {
  const w = windowOf(layer.flow);
  // A [C, 1, 1] input broadcast over the map (a channel scale) is read at its one pixel.
  if (w === null) return inSize[0] === 1 && inSize[1] === 1 ? [[0, 0], [0, 0]] : [rows, cols];
  if (w === 'whole') return [[0, inSize[0] - 1], [0, inSize[1] - 1]];
  if (w === 'adaptive') {
    // PyTorch: output i averages input [floor(i*In/Out), ceil((i+1)*In/Out) - 1]
    const out = layer.shape.length === 3 ? [layer.shape[1], layer.shape[2]] : [1, 1];
    const axis = (iv: Interval, j: number): Interval => [Math.floor((iv[0] * inSize[j]) / out[j]), Math.ceil(((iv[1] + 1) * inSize[j]) / out[j]) - 1];
    return [axis(rows, 0), axis(cols, 1)];
  }
  const { kernel: k, stride: s, padding: p, dilation: d } = w;
  const axis = (iv: Interval, j: number): Interval => [iv[0] * s[j] - p[j], iv[1] * s[j] - p[j] + d[j] * (k[j] - 1)];
  return [axis(rows, 0), axis(cols, 1)];
}

const clip = ([lo, hi]: Interval, n: number): Interval => [Math.max(0, lo), Math.min(n - 1, hi)];
const hull = (a: Interval, b: Interval): Interval => [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
