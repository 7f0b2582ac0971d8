// Which graph nodes and edges can be visualized, as objectives: unit nodes (conv2d / linear
// output channels) and their kernels; the input's channels and add junctions have none.
// Shared by the atlas and the feed-back check.

import type { CircuitGraph } from '../graph/build';
import { edgeObjective, nodeObjective } from './objectives';

/** The objective of graph node `node`, or null for input channels and junctions. */
export function nodeObjectiveOf(g: CircuitGraph, node: number): string | null {
  const layer = g.layers[g.nodeLayer[node]];
  if (layer.op !== 'conv2d' && layer.op !== 'linear') return null;
  return nodeObjective(layer.name, g.nodeChannel[node]);
}

/** The objective of graph edge `edge`, or null for a junction's identity edges. */
export function edgeObjectiveOf(g: CircuitGraph, edge: number): string | null {
  const layer = g.layers[g.edgeLayer[edge]];
  if (layer.op !== 'conv2d' && layer.op !== 'linear') return null;
  return edgeObjective(layer.name, g.edgeOut[edge], g.edgeIn[edge]);
}
