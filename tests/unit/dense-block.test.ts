// A linear layer too big to draw kernel by kernel (AlexNet's 4096 x 4096) is one dense block
// of the graph: nodes of its own, no edges, every output depending on every input channel,
// so a logit's circuit still reaches every conv kernel before it.

import { describe, expect, it } from 'vitest';
import { buildModel } from '../helpers/build-model';
import { buildGraph } from '../../src/lib/graph/build';
import { relevantEdges } from '../../src/lib/circuits/relevance';
import { MAX_LINEAR_WEIGHTS } from '../../src/lib/ops/linear';

const conv = { kernel: [3, 3], padding: [1, 1] };

function model(hidden: number) {
  return buildModel('dense', { channels: 1, height: 6, width: 6 }, [
    { name: 'conv1', op: 'conv2d', attrs: conv, params: { weight: [4, 1, 3, 3], bias: [4] } },
    { name: 'relu1', op: 'relu' },
    { name: 'conv2', op: 'conv2d', attrs: conv, params: { weight: [5, 4, 3, 3], bias: [5] } },
    { name: 'relu2', op: 'relu' },
    { name: 'flat', op: 'flatten' },
    { name: 'fc1', op: 'linear', params: { weight: [hidden, 180], bias: [hidden] } },
    { name: 'relu3', op: 'relu' },
    { name: 'fc2', op: 'linear', params: { weight: [3, hidden], bias: [3] } },
  ], 3);
}

describe('dense blocks', () => {
  it('draws a big linear layer as nodes without edges, a small one kernel by kernel', () => {
    const big = Math.floor(MAX_LINEAR_WEIGHTS / 180) + 1; // fc1: big x 180 weights > the budget
    const m = model(big);
    expect(m.layers.find((l) => l.name === 'fc1')!.flow.kind).toBe('all');
    expect(m.layers.find((l) => l.name === 'fc2')!.flow.kind).toBe('kernels');
    const g = buildGraph(m);
    const fc1 = g.layers.find((l) => l.name === 'fc1')!;
    expect(fc1.nodeCount).toBe(big);
    expect(fc1.edgeCount).toBe(0);
    expect(g.kernelLayers.map((k) => k.name)).toEqual(['conv1', 'conv2', 'fc2']);
    // fc2 is drawn kernel by kernel from fc1's nodes.
    const fc2 = g.kernelLayers.find((k) => k.name === 'fc2')!;
    expect(fc2.cols).toBe(big);
    const small = buildGraph(model(8));
    expect(small.kernelLayers.map((k) => k.name)).toEqual(['conv1', 'conv2', 'fc1', 'fc2']);
  });

  it('a logit depends on every conv kernel through a dense block', () => {
    const m = model(Math.floor(MAX_LINEAR_WEIGHTS / 180) + 1);
    const g = buildGraph(m);
    const relevant = relevantEdges(m, g, { kind: 'classLogit', class: 1 });
    const conv2 = g.kernelLayers.find((k) => k.name === 'conv2')!;
    const conv1 = g.kernelLayers.find((k) => k.name === 'conv1')!;
    for (const k of [conv1, conv2]) for (let e = 0; e < k.rows * k.cols; e++) expect(relevant[k.edgeStart + e]).toBe(1);
    const fc2 = g.kernelLayers.find((k) => k.name === 'fc2')!;
    // Only the logit's own row of fc2.
    for (let o = 0; o < fc2.rows; o++) expect(relevant[fc2.edgeStart + o * fc2.cols]).toBe(o === 1 ? 1 : 0);
  });
});
