// The highlight reducer: graph + kept mask + ablation + selection/hover -> display attributes
// (edge state, node state and size), written into the renderer's attribute arrays. It never
// changes the graph; the renderer only uploads what it returns.

import type { CircuitGraph } from '../graph/types';
import { EDGE_FADED, EDGE_HIGHLIGHT, EDGE_KEPT, EDGE_REMOVED, NODE_HIGHLIGHT, NODE_KEPT, NODE_REMOVED, NODE_SELECTED } from './states';

export type Pick = { kind: 'node' | 'edge'; id: number } | null;

/** What ablation took out: per edge and per node, 1 = removed (either may be null: nothing). */
export interface Removed {
  edges: Uint8Array | null;
  nodes: Uint8Array | null;
}

export interface Highlight {
  /** Per edge, 1 = in the circuit; null keeps every edge. */
  kept: Uint8Array | null;
  /** Ablated edges and nodes; a removed node's edges (in and out) count as removed. */
  removed?: Removed | null;
  selection: Pick;
  hover: Pick;
}

/** Edges touching each node (in and out), as compressed rows: offsets (n + 1) and edge ids. */
export interface Incidence {
  offsets: Uint32Array;
  edges: Uint32Array;
}

const incidenceCache = new WeakMap<CircuitGraph, Incidence>();

export function incidence(graph: CircuitGraph): Incidence {
  const hit = incidenceCache.get(graph);
  if (hit) return hit;
  const offsets = new Uint32Array(graph.nodeCount + 1);
  for (let e = 0; e < graph.edgeCount; e++) {
    offsets[graph.edgeSource[e] + 1]++;
    offsets[graph.edgeTarget[e] + 1]++;
  }
  for (let n = 0; n < graph.nodeCount; n++) offsets[n + 1] += offsets[n];
  const fill = offsets.slice(0, graph.nodeCount);
  const edges = new Uint32Array(graph.edgeCount * 2);
  for (let e = 0; e < graph.edgeCount; e++) {
    edges[fill[graph.edgeSource[e]]++] = e;
    edges[fill[graph.edgeTarget[e]]++] = e;
  }
  const inc = { offsets, edges };
  incidenceCache.set(graph, inc);
  return inc;
}

/** Fills edgeState (1 per edge) and nodeLook (state, size per node). */
export function reduce(graph: CircuitGraph, h: Highlight, edgeState: Float32Array, nodeLook: Float32Array): void {
  const kept = h.kept;
  for (let e = 0; e < graph.edgeCount; e++) edgeState[e] = !kept || kept[e] ? EDGE_KEPT : EDGE_FADED;
  const nodeState = new Uint8Array(graph.nodeCount);
  if (!kept) nodeState.fill(NODE_KEPT);
  else {
    for (let e = 0; e < graph.edgeCount; e++) {
      if (kept[e]) nodeState[graph.edgeSource[e]] = nodeState[graph.edgeTarget[e]] = NODE_KEPT;
    }
  }
  const inc = incidence(graph);
  const mark = (p: Pick, selected: boolean) => {
    if (!p) return;
    if (p.kind === 'edge' && p.id < graph.edgeCount) {
      edgeState[p.id] = EDGE_HIGHLIGHT;
      for (const n of [graph.edgeSource[p.id], graph.edgeTarget[p.id]]) nodeState[n] = Math.max(nodeState[n], NODE_HIGHLIGHT);
    } else if (p.kind === 'node' && p.id < graph.nodeCount) {
      for (let k = inc.offsets[p.id]; k < inc.offsets[p.id + 1]; k++) {
        const e = inc.edges[k];
        if (kept && !kept[e]) continue;
        edgeState[e] = EDGE_HIGHLIGHT;
        const other = graph.edgeSource[e] === p.id ? graph.edgeTarget[e] : graph.edgeSource[e];
        nodeState[other] = Math.max(nodeState[other], NODE_HIGHLIGHT);
      }
      nodeState[p.id] = selected ? NODE_SELECTED : Math.max(nodeState[p.id], NODE_HIGHLIGHT);
    }
  };
  mark(h.hover, false);
  mark(h.selection, true);
  for (let n = 0; n < graph.nodeCount; n++) {
    nodeLook[2 * n] = nodeState[n];
    nodeLook[2 * n + 1] = graph.layers[graph.nodeLayer[n]].kind === 'junction' ? 0.6 : 1;
  }
  markRemoved(graph, h.removed ?? null, inc, edgeState, nodeLook);
}

/** Ablation wins over every other state: removed edges, and removed nodes with all their edges. */
function markRemoved(graph: CircuitGraph, removed: Removed | null, inc: Incidence, edgeState: Float32Array, nodeLook: Float32Array): void {
  if (!removed) return;
  const { edges, nodes } = removed;
  if (edges) for (let e = 0; e < Math.min(edges.length, graph.edgeCount); e++) if (edges[e]) edgeState[e] = EDGE_REMOVED;
  if (nodes)
    for (let n = 0; n < Math.min(nodes.length, graph.nodeCount); n++) {
      if (!nodes[n]) continue;
      nodeLook[2 * n] = NODE_REMOVED;
      for (let k = inc.offsets[n]; k < inc.offsets[n + 1]; k++) edgeState[inc.edges[k]] = EDGE_REMOVED;
    }
}
