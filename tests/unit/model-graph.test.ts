// The one graph of a model on every built-in model and both fixtures (CPU only): each kernel
// edge reads the weights its layer stores at [out, in] (checked against the weight tensor's own
// shape, not the graph's bookkeeping), junction edges are not kernels, every node has its
// channel, incoming-edge lists agree with the edge arrays, and ablation removes exactly a
// node's kernels.

import { describe, it, expect } from 'vitest';
import { buildGraph, edgeWeights } from '../../src/lib/graph/build';
import { incomingEdges } from '../../src/lib/graph/walks';
import { removalMask } from '../../src/lib/circuits/removal';
import type { Model } from '../../src/lib/model/types';
import { builtinModelNames, loadBuiltinModel } from '../../tools/node/builtin';
import { loadFixture } from '../helpers/fixtures';

/** The weights of kernel (o, i) of a layer read straight from its tensor: conv [O, Cg, KH, KW], linear [O, F] with runs of F / runs. */
function storedKernel(model: Model, layerIndex: number, o: number, i: number, runs: number): Float32Array {
  const l = model.layers[layerIndex];
  const shape = l.paramShapes.weight;
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  const row = l.params.weight.subarray(o * per, (o + 1) * per);
  const len = shape.length === 4 ? shape[2] * shape[3] : per / runs;
  return row.subarray(i * len, (i + 1) * len);
}

function check(model: Model) {
  const graph = buildGraph(model);
  let kernels = 0;
  for (let e = 0; e < graph.edgeCount; e++) {
    const gl = graph.layers[graph.edgeLayer[e]];
    if (gl.kind === 'junction') {
      expect(graph.edgeIsKernel[e]).toBe(0);
      continue;
    }
    kernels++;
    expect(graph.edgeIsKernel[e]).toBe(1);
    const k = graph.kernelLayerOf[graph.edgeLayer[e]]!;
    expect(k.name).toBe(gl.name);
    expect(e - k.edgeStart).toBe(graph.edgeOut[e] * k.cols + graph.edgeIn[e]);
    const w = storedKernel(model, gl.modelLayer, graph.edgeOut[e], graph.edgeIn[e], k.cols);
    const viaGraph = edgeWeights(model, graph, e);
    expect(viaGraph.length).toBe(w.length);
    for (let t = 0; t < w.length; t++) if (w[t] !== viaGraph[t]) throw new Error(`${model.name} edge ${e}: weight ${t} differs`);
  }
  expect(kernels).toBe(graph.kernelLayers.reduce((a, k) => a + k.rows * k.cols, 0));
  for (let n = 0; n < graph.nodeCount; n++) {
    expect(graph.nodeOfChannel[graph.channelOfNode[n]]).toBe(n);
    for (const e of incomingEdges(graph, n)) expect(graph.edgeTarget[e]).toBe(n);
  }
  expect(graph.inEdges.length).toBe(graph.edgeCount);
  const last = graph.layers.at(-1)!;
  const mask = removalMask(graph, [], [last.nodeStart]);
  expect(mask.reduce((a, v) => a + (1 - v), 0)).toBe(incomingEdges(graph, last.nodeStart).length);
  return { nodes: graph.nodeCount, edges: graph.edgeCount, kernels };
}

describe('model graph', () => {
  for (const name of builtinModelNames()) it(`built-in ${name}`, () => expect(check(loadBuiltinModel(name)).kernels).toBeGreaterThan(0));
  for (const name of ['alexnet-mini', 'branchnet']) it(`fixture ${name}`, () => expect(check(loadFixture(name).model).kernels).toBeGreaterThan(0));
  it('bad removals name the problem', () => {
    const graph = buildGraph(loadBuiltinModel('fashion-small'));
    expect(() => removalMask(graph, [graph.edgeCount], [])).toThrow(/edge \d+ does not exist/);
    expect(() => removalMask(graph, [], [0.5])).toThrow(/node 0.5 does not exist/);
    expect(() => removalMask(graph, [], [0])).toThrow(/input:0\) has no kernels/);
  });
  it('a junction edge cannot be removed', () => {
    const graph = buildGraph(loadBuiltinModel('fashion-inception'));
    const junction = graph.edgeIsKernel.indexOf(0);
    expect(junction).toBeGreaterThanOrEqual(0);
    expect(() => removalMask(graph, [junction], [])).toThrow(/add junction, not a kernel/);
  });
});
