// The drawn graph <-> kernel mapping on every built-in model and both fixtures (CPU only):
// each conv/linear edge reads the same weights through both indexings, each kernel has one
// edge, every node has its channel, and incoming-edge lists agree with the edge arrays.

import { describe, it, expect } from 'vitest';
import { buildGraph } from '../../src/lib/graph/build';
import { edgeWeights } from '../../src/lib/graph/build';
import { buildChannelGraph } from '../../src/lib/circuits/channelGraph';
import { buildGraphIndex, incomingEdges, kernelsToEdges, removalMask } from '../../src/lib/circuits/graphIndex';
import type { Model } from '../../src/lib/model/types';
import { builtinModelNames, loadBuiltinModel } from '../../tools/node/builtin';
import { loadFixture } from '../helpers/fixtures';

function check(model: Model) {
  const graph = buildGraph(model);
  const channels = buildChannelGraph(model);
  const index = buildGraphIndex(model, graph, channels);
  let kernels = 0;
  for (let e = 0; e < graph.edgeCount; e++) {
    const k = index.kernelOfEdge[e];
    if (graph.layers[graph.edgeLayer[e]].op === 'add') {
      expect(k).toBe(-1);
      continue;
    }
    kernels++;
    const s = channels.scored.find((x) => k >= x.edgeOffset && k < x.edgeOffset + x.rows * x.cols)!;
    expect(s.name).toBe(graph.layers[graph.edgeLayer[e]].name);
    const local = k - s.edgeOffset;
    const w = model.layers[s.index].params.weight.subarray(local * s.taps, (local + 1) * s.taps);
    const viaGraph = edgeWeights(model, graph, e);
    expect(viaGraph.length).toBe(w.length);
    for (let t = 0; t < w.length; t++) if (w[t] !== viaGraph[t]) throw new Error(`${model.name} edge ${e}: weight ${t} differs`);
  }
  expect(kernels).toBe(channels.edgeCount);
  expect([...index.edgeOfKernel].every((e) => e >= 0)).toBe(true);
  for (let n = 0; n < graph.nodeCount; n++) {
    expect(index.nodeOfChannel[index.channelOfNode[n]]).toBe(n);
    for (const e of incomingEdges(index, n)) expect(graph.edgeTarget[e]).toBe(n);
  }
  expect(index.inEdges.length).toBe(graph.edgeCount);
  // graph order round trip of a per-kernel array
  const ids = Float32Array.from({ length: channels.edgeCount }, (_, k) => k);
  const inGraph = kernelsToEdges(index, ids, -1);
  for (let e = 0; e < graph.edgeCount; e++) expect(inGraph[e]).toBe(index.kernelOfEdge[e]);
  // removing a node removes exactly the kernels into it
  const last = graph.layers.at(-1)!;
  const mask = removalMask(index, [], [last.nodeStart]);
  expect(mask.reduce((a, v) => a + (1 - v), 0)).toBe(incomingEdges(index, last.nodeStart).length);
  return { nodes: graph.nodeCount, edges: graph.edgeCount, kernels };
}

describe('graph index', () => {
  for (const name of builtinModelNames()) it(`built-in ${name}`, () => expect(check(loadBuiltinModel(name)).kernels).toBeGreaterThan(0));
  for (const name of ['alexnet-mini', 'branchnet']) it(`fixture ${name}`, () => expect(check(loadFixture(name).model).kernels).toBeGreaterThan(0));
  it('bad removals name the problem', () => {
    const model = loadBuiltinModel('fashion-small');
    const graph = buildGraph(model);
    const index = buildGraphIndex(model, graph, buildChannelGraph(model));
    expect(() => removalMask(index, [graph.edgeCount], [])).toThrow(/edge \d+ does not exist/);
    expect(() => removalMask(index, [], [0.5])).toThrow(/node 0.5 does not exist/);
    expect(() => removalMask(index, [], [0])).toThrow(/input:0\) has no kernels/);
  });
});
