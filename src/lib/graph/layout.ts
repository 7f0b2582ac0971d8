// Node positions for the graph view (x, y per node, in abstract units: neighbouring nodes of a
// column are 1 apart). The forward axis is the layer depth, parallel branches run in lanes side
// by side (layoutLanes.ts); within a layer: index order (grid), importance order (sorted) or
// Class MDS as in the tool paper (layoutMds.ts).

import type { CircuitGraph } from './types';
import { laneLayout } from './layoutLanes';

export type LayoutName = 'grid' | 'sorted' | 'mds';

export interface LayoutOptions {
  /** Distance between neighbouring depths along x (default: the graph about twice as wide as tall). */
  layerSpacing?: number;
}

/** Places each layer's nodes across its lane, centred on the lane, in the order `order` gives (node indices). */
function placeLayers(graph: CircuitGraph, order: (layer: number) => number[], opts: LayoutOptions): Float32Array {
  const pos = new Float32Array(graph.nodeCount * 2);
  const { frames } = laneLayout(graph, opts.layerSpacing);
  graph.layers.forEach((layer, l) => {
    const f = frames[l];
    order(l).forEach((n, j) => {
      pos[2 * n] = f.x;
      pos[2 * n + 1] = f.y + j - (layer.nodeCount - 1) / 2;
    });
  });
  return pos;
}

const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);

/** Index order: layers along x by depth, nodes in index order along y, centred. */
export function gridLayout(graph: CircuitGraph, opts: LayoutOptions = {}): Float32Array {
  return placeLayers(graph, (l) => range(graph.layers[l].nodeStart, graph.layers[l].nodeCount), opts);
}

/** Like the grid, with each layer's nodes sorted by importance, most important on top. */
export function sortedLayout(graph: CircuitGraph, nodeImportance: ArrayLike<number>, opts: LayoutOptions = {}): Float32Array {
  return placeLayers(graph, (l) => {
    const g = graph.layers[l];
    return range(g.nodeStart, g.nodeCount).sort((a, b) => (nodeImportance[b] || 0) - (nodeImportance[a] || 0) || a - b);
  }, opts);
}

export { bestRotation, classicalMds, mdsLayout, MDS_ANGLES, type MdsOptions } from './layoutMds';
