// The layers whose kernels are the graph's edges (conv2d and linear), with the shape of
// their edge arrays: [rows = output channels, cols = input channels per group], the taps
// K of one kernel, and the geometry that rebuilds an edge's pre-sum map. A linear layer fed
// by a flattened [C, H, W] map has one edge per (output, channel): an H x W "kernel".

import type { Model, Layer } from '../model/types';
import { nodeShape } from '../model/types';
import type { ConvGeometry } from '../ops/reference/conv2d';

export interface ScoredLayer {
  name: string;
  index: number;
  op: 'conv2d' | 'linear';
  rows: number;
  /** Input channels per group (edge columns). */
  cols: number;
  groups: number;
  taps: number;
  /** The layer's input seen as a map [C, H, W] (a flat input is [F, 1, 1]). */
  inMap: [number, number, number];
  /** Output map [rows, Ho, Wo] (linear: [rows, 1, 1]). */
  outMap: [number, number, number];
  geometry: ConvGeometry;
  /** Node whose map represents this layer's filters: its sole relu consumer, or itself. */
  mapNode: string;
  /** First global edge index of this layer (layers in model order). */
  edgeOffset: number;
}

const PASS_THROUGH = new Set(['flatten', 'dropout']);

/** The [C, H, W] map a layer's input comes from, looking through flatten and dropout. */
function inputMap(model: Model, layer: Layer): [number, number, number] {
  let name = layer.inputs[0];
  for (;;) {
    const l = model.layers.find((x) => x.name === name);
    if (!l || !PASS_THROUGH.has(l.op)) break;
    name = l.inputs[0];
  }
  const s = nodeShape(model, name);
  return s.length === 3 ? [s[0], s[1], s[2]] : [s[0], 1, 1];
}

export function mapNodeOf(model: Model, layer: string): string {
  const consumers = model.layers.filter((l) => l.inputs.includes(layer));
  return consumers.length === 1 && consumers[0].op === 'relu' ? consumers[0].name : layer;
}

export function scoredLayers(model: Model): ScoredLayer[] {
  const out: ScoredLayer[] = [];
  let edgeOffset = 0;
  model.layers.forEach((l, index) => {
    if (l.op !== 'conv2d' && l.op !== 'linear') return;
    let entry: ScoredLayer;
    if (l.op === 'conv2d') {
      const g = l.attrs as unknown as ConvGeometry;
      const [C, H, W] = nodeShape(model, l.inputs[0]);
      const [O, OH, OW] = l.shape;
      entry = {
        name: l.name, index, op: 'conv2d', rows: O, cols: C / g.groups, groups: g.groups,
        taps: g.kernel[0] * g.kernel[1], inMap: [C, H, W], outMap: [O, OH, OW], geometry: g,
        mapNode: mapNodeOf(model, l.name), edgeOffset,
      };
    } else {
      const [C, H, W] = inputMap(model, l);
      const O = l.shape[0];
      entry = {
        name: l.name, index, op: 'linear', rows: O, cols: C, groups: 1, taps: H * W,
        inMap: [C, H, W], outMap: [O, 1, 1],
        geometry: { kernel: [H, W], stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1 },
        mapNode: mapNodeOf(model, l.name), edgeOffset,
      };
    }
    out.push(entry);
    edgeOffset += entry.rows * entry.cols;
  });
  return out;
}

/** Input channel (of the layer's input) of edge (o, j). */
export function edgeInputChannel(s: ScoredLayer, o: number, j: number): number {
  return Math.floor(o / (s.rows / s.groups)) * s.cols + j;
}
