// A synthetic layered graph with a given number of edges (seeded, random kernel signs), in the
// same CircuitGraph form buildGraph returns: for screenshots and renderer benchmarks.

import type { CircuitGraph, GraphLayer } from './types';

export function syntheticGraph(edges: number, layerCount = 8, seed = 1): CircuitGraph {
  const gaps = layerCount - 1;
  const width = Math.max(1, Math.ceil(Math.sqrt(edges / gaps)));
  let s = seed >>> 0 || 1;
  const random = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
  const layers: GraphLayer[] = [];
  const nodeCount = width * layerCount;
  const nodeLayer = new Uint32Array(nodeCount);
  const nodeChannel = new Uint32Array(nodeCount);
  for (let l = 0; l < layerCount; l++) {
    layers.push({ name: l === 0 ? 'input' : `layer${l}`, op: l === 0 ? 'input' : 'conv2d', kind: l === 0 ? 'input' : 'kernels', modelLayer: l - 1, depth: l, nodeStart: l * width, nodeCount: width, edgeStart: 0, edgeCount: 0 });
    for (let c = 0; c < width; c++) {
      nodeLayer[l * width + c] = l;
      nodeChannel[l * width + c] = c;
    }
  }
  const edgeSource = new Uint32Array(edges), edgeTarget = new Uint32Array(edges), edgeLayer = new Uint32Array(edges);
  const edgeOut = new Uint32Array(edges), edgeIn = new Uint32Array(edges), edgeSign = new Int8Array(edges);
  // fill gap by gap, full bipartite, until the edge budget is spent
  let e = 0;
  for (let l = 1; l < layerCount && e < edges; l++) {
    layers[l].edgeStart = e;
    for (let o = 0; o < width && e < edges; o++) {
      for (let i = 0; i < width && e < edges; i++, e++) {
        edgeSource[e] = (l - 1) * width + i;
        edgeTarget[e] = l * width + o;
        edgeLayer[e] = l;
        edgeOut[e] = o;
        edgeIn[e] = i;
        edgeSign[e] = random() < 0.5 ? -1 : 1;
      }
    }
    layers[l].edgeCount = e - layers[l].edgeStart;
  }
  return { layers, nodeCount, edgeCount: edges, nodeLayer, nodeChannel, edgeSource, edgeTarget, edgeLayer, edgeOut, edgeIn, edgeSign };
}
