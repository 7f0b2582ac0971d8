// Maps between the graph the page draws (graph/build.ts CircuitGraph: nodes = filters, edges =
// kernels plus add junctions) and the circuits' channel graph (channelGraph.ts: channel ids,
// global kernel indices in ScoredLayer order), both ways, plus each node's incoming edges.

import type { Model } from '../model/types';
import type { CircuitGraph } from '../graph/build';
import type { ChannelGraph } from './channelGraph';
import type { ScoredLayer } from './scoredLayers';

export interface GraphIndex {
  graph: CircuitGraph;
  channels: ChannelGraph;
  /** Per graph edge: its global kernel index in the channel graph; -1 for add junctions. */
  kernelOfEdge: Int32Array;
  /** Per global kernel index: its graph edge. */
  edgeOfKernel: Int32Array;
  /** Per graph node: its channel id (input channel, layer output channel, add output channel). */
  channelOfNode: Int32Array;
  /** Per channel id: its graph node, or -1 for channels the graph looks through (relu, pool, ...). */
  nodeOfChannel: Int32Array;
  /** Incoming edges of node n: inEdges[inStart[n] .. inStart[n + 1]). */
  inStart: Uint32Array;
  inEdges: Uint32Array;
  /** Per graph layer: its scored layer (conv2d, linear), or null (input, add). */
  scoredOfLayer: (ScoredLayer | null)[];
}

export function buildGraphIndex(model: Model, graph: CircuitGraph, channels: ChannelGraph): GraphIndex {
  const scoredByName = new Map(channels.scored.map((s) => [s.name, s]));
  const kernelOfEdge = new Int32Array(graph.edgeCount).fill(-1);
  const edgeOfKernel = new Int32Array(channels.edgeCount).fill(-1);
  const channelOfNode = new Int32Array(graph.nodeCount);
  const nodeOfChannel = new Int32Array(channels.count).fill(-1);
  const scoredOfLayer = graph.layers.map((gl) => {
    for (let c = 0; c < gl.nodeCount; c++) {
      const id = channels.id(gl.op === 'input' ? model.input.name : gl.name, c);
      channelOfNode[gl.nodeStart + c] = id;
      nodeOfChannel[id] = gl.nodeStart + c;
    }
    if (gl.op !== 'conv2d' && gl.op !== 'linear') return null;
    const s = scoredByName.get(gl.name);
    if (!s || s.rows !== gl.nodeCount || s.rows * s.cols !== gl.edgeCount) {
      throw new Error(
        `layer "${gl.name}": the drawn graph has ${gl.nodeCount} filters and ${gl.edgeCount} kernels, ` +
          `the circuit graph ${s ? `${s.rows} filters and ${s.rows * s.cols} kernels` : 'no such layer'}; this model's layout is not supported`,
      );
    }
    for (let e = gl.edgeStart; e < gl.edgeStart + gl.edgeCount; e++) {
      const k = s.edgeOffset + graph.edgeOut[e] * s.cols + graph.edgeIn[e];
      kernelOfEdge[e] = k;
      edgeOfKernel[k] = e;
    }
    return s;
  });
  const counts = new Uint32Array(graph.nodeCount + 1);
  for (let e = 0; e < graph.edgeCount; e++) counts[graph.edgeTarget[e] + 1]++;
  for (let n = 0; n < graph.nodeCount; n++) counts[n + 1] += counts[n];
  const inStart = counts.slice();
  const fill = counts.slice(0, graph.nodeCount);
  const inEdges = new Uint32Array(graph.edgeCount);
  for (let e = 0; e < graph.edgeCount; e++) inEdges[fill[graph.edgeTarget[e]]++] = e;
  return { graph, channels, kernelOfEdge, edgeOfKernel, channelOfNode, nodeOfChannel, inStart, inEdges, scoredOfLayer };
}

/** Incoming graph edges of a node. */
export function incomingEdges(index: GraphIndex, node: number): Uint32Array {
  return index.inEdges.subarray(index.inStart[node], index.inStart[node + 1]);
}

/** Per-kernel values (a Scores.edges-like array) in graph edge order; add junctions get `junction`. */
export function kernelsToEdges<T extends Float32Array | Uint8Array>(index: GraphIndex, values: T, junction = 0): T {
  const out = new (values.constructor as { new (n: number): T })(index.graph.edgeCount);
  for (let e = 0; e < out.length; e++) {
    const k = index.kernelOfEdge[e];
    out[e] = k >= 0 ? values[k] : junction;
  }
  return out;
}

/**
 * Graph nodes that stand for the given channels: the channel's own node, or, for channels
 * the graph looks through (relu, pool, concat, ...), the nodes they come from without a kernel.
 */
export function nodesOfChannels(index: GraphIndex, ids: number[]): number[] {
  const seen = new Uint8Array(index.channels.count);
  const out = new Set<number>();
  const stack = [...ids];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen[id]) continue;
    seen[id] = 1;
    const n = index.nodeOfChannel[id];
    if (n >= 0) {
      out.add(n);
      continue;
    }
    const d = index.channels.deps[id];
    for (let k = 0; k < d.from.length; k++) if (d.edge[k] < 0) stack.push(d.from[k]);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * A kernel mask (1 = keep) from graph edges and nodes to remove; a removed node removes every
 * kernel into it. Throws when asked to remove what is not a kernel (an add junction, an input).
 */
export function removalMask(index: GraphIndex, removedEdges: number[], removedNodes: number[]): Float32Array {
  const mask = new Float32Array(index.channels.edgeCount).fill(1);
  const { graph } = index;
  for (const e of removedEdges) {
    if (!Number.isInteger(e) || e < 0 || e >= graph.edgeCount) throw new RangeError(`edge ${e} does not exist (the graph has ${graph.edgeCount} edges)`);
    const k = index.kernelOfEdge[e];
    if (k < 0) throw new RangeError(`edge ${e} is an add junction, not a kernel: it cannot be removed`);
    mask[k] = 0;
  }
  for (const n of removedNodes) {
    if (!Number.isInteger(n) || n < 0 || n >= graph.nodeCount) throw new RangeError(`node ${n} does not exist (the graph has ${graph.nodeCount} nodes)`);
    const layer = graph.layers[graph.nodeLayer[n]];
    if (layer.op !== 'conv2d' && layer.op !== 'linear') throw new RangeError(`node ${n} (${layer.name}:${graph.nodeChannel[n]}) has no kernels into it to remove`);
    for (const e of incomingEdges(index, n)) mask[index.kernelOfEdge[e]] = 0;
  }
  return mask;
}
