// Which graph nodes and edges can be visualized, as objectives: unit nodes (filters of conv2d, linear, ...
// output channels) and their kernels; the input's channels and add junctions have none.
// Shared by the atlas, the feed-back check and the page's visualization panel. A node's
// objective is the mean of its map after its nonlinearity (the map the inspector shows).

import type { CircuitGraph } from '../graph/types';
import type { Model } from '../model/types';
import { mapNodeOf } from '../graph/build';
import { edgeObjective, nodeObjective } from './objectives';

/** 'channel:M:c' for filter c of layer L, M being L's ReLU when L feeds one alone, else L. */
export function filterObjective(model: Model, layer: string, channel: number): string {
  return nodeObjective(mapNodeOf(model, layer), channel);
}

/** The objective of graph node `node`, or null for input channels and junctions. */
export function nodeObjectiveOf(model: Model, g: CircuitGraph, node: number): string | null {
  const layer = g.layers[g.nodeLayer[node]];
  if (layer.kind !== 'kernels') return null;
  return filterObjective(model, layer.name, g.nodeChannel[node]);
}

/** The objective of graph edge `edge`, or null for a junction's identity edges. */
export function edgeObjectiveOf(g: CircuitGraph, edge: number): string | null {
  const layer = g.layers[g.edgeLayer[edge]];
  if (layer.kind !== 'kernels') return null;
  return edgeObjective(layer.name, g.edgeOut[edge], g.edgeIn[edge]);
}
