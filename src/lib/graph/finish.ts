// The derived parts of a model's graph, computed once after the builder has placed every
// node, edge and channel: layer depths, node <-> channel maps, and each node's incoming edges.

import type { ChannelDeps, CircuitGraph, KernelLayer, ModelGraph } from './types';

export interface GraphParts {
  kernelLayers: KernelLayer[];
  edgeIsKernel: Uint8Array;
  channelStart: Map<string, number>;
  featureStarts: Map<string, Uint32Array>;
  deps: ChannelDeps[];
  inputName: string;
  edgeFrom: Int32Array;
  /** Channel id of each node. */
  nodeChannelId: Int32Array;
}

/** Depth of each layer: the longest path from the input over the edges (edges go to later layers). */
function setDepths(g: CircuitGraph): void {
  const depth = new Array<number>(g.layers.length).fill(0);
  for (let e = 0; e < g.edgeCount; e++) {
    const l = g.edgeLayer[e];
    depth[l] = Math.max(depth[l], depth[g.nodeLayer[g.edgeSource[e]]] + 1);
  }
  g.layers.forEach((layer, i) => (layer.depth = depth[i]));
}

/** Incoming edges per node as a compressed list. */
function incoming(g: CircuitGraph): { inStart: Uint32Array; inEdges: Uint32Array } {
  const counts = new Uint32Array(g.nodeCount + 1);
  for (let e = 0; e < g.edgeCount; e++) counts[g.edgeTarget[e] + 1]++;
  for (let n = 0; n < g.nodeCount; n++) counts[n + 1] += counts[n];
  const fill = counts.slice(0, g.nodeCount);
  const inEdges = new Uint32Array(g.edgeCount);
  for (let e = 0; e < g.edgeCount; e++) inEdges[fill[g.edgeTarget[e]]++] = e;
  return { inStart: counts, inEdges };
}

export function finishGraph(drawn: CircuitGraph, p: GraphParts): ModelGraph {
  setDepths(drawn);
  const channelCount = p.deps.length;
  const nodeOfChannel = new Int32Array(channelCount).fill(-1);
  p.nodeChannelId.forEach((id, n) => (nodeOfChannel[id] = n));
  const kernelLayerOf = drawn.layers.map(() => null as KernelLayer | null);
  for (const k of p.kernelLayers) kernelLayerOf[k.graphLayer] = k;
  const inputStart = p.channelStart.get(p.inputName)!;
  const inputCount = drawn.layers[0].nodeCount;
  return {
    ...drawn,
    kernelLayers: p.kernelLayers,
    kernelLayerOf,
    edgeIsKernel: p.edgeIsKernel,
    channelCount,
    channelStart: p.channelStart,
    featureStarts: p.featureStarts,
    deps: p.deps,
    inputChannels: Array.from({ length: inputCount }, (_, c) => inputStart + c),
    edgeFrom: p.edgeFrom,
    channelOfNode: p.nodeChannelId,
    nodeOfChannel,
    ...incoming(drawn),
  };
}
