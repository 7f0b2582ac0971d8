// The renderer's plain-data parts: the highlight reducer (kept mask, ablation and selection ->
// display states), CPU picking (nearest node by grid, nearest edge by segment distance, brute-force
// oracle), and the synthetic benchmark graph's shape.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../helpers/build-model';
import { buildGraph } from '../../src/lib/graph/build';
import { gridLayout } from '../../src/lib/graph/layout';
import { syntheticGraph } from '../../src/lib/graph/synthetic';
import { incidence, reduce } from '../../src/lib/render/reducer';
import { Picker } from '../../src/lib/render/picking';
import { EDGE_FADED, EDGE_HIGHLIGHT, EDGE_KEPT, EDGE_REMOVED, NODE_FADED, NODE_HIGHLIGHT, NODE_KEPT, NODE_REMOVED, NODE_SELECTED } from '../../src/lib/render/states';
import { rng } from '../helpers/random';

// input 0; conv1 1-2; fc 3-4. Edges: 0->1, 0->2 (conv1); 1->3, 2->3, 1->4, 2->4 (fc)
const model = buildModel('tiny', { channels: 1, height: 2, width: 2 }, [
  { name: 'conv1', op: 'conv2d', attrs: { kernel: [1, 1] }, params: { weight: [2, 1, 1, 1] } },
  { name: 'flat', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [2, 8] } },
], 2);
const graph = buildGraph(model);

describe('highlight reducer', () => {
  it('kept edges and their nodes stand out; the rest fades', () => {
    const edges = new Float32Array(graph.edgeCount);
    const nodes = new Float32Array(graph.nodeCount * 2);
    const kept = Uint8Array.from([1, 0, 1, 0, 0, 0]); // 0->1 and 1->3
    reduce(graph, { kept, selection: null, hover: null }, edges, nodes);
    expect(Array.from(edges)).toEqual([EDGE_KEPT, EDGE_FADED, EDGE_KEPT, EDGE_FADED, EDGE_FADED, EDGE_FADED]);
    expect([0, 1, 2, 3, 4].map((n) => nodes[2 * n])).toEqual([NODE_KEPT, NODE_KEPT, NODE_FADED, NODE_KEPT, NODE_FADED]);
  });

  it('a selected node lights up its kept edges and neighbours only', () => {
    const edges = new Float32Array(graph.edgeCount);
    const nodes = new Float32Array(graph.nodeCount * 2);
    const kept = Uint8Array.from([1, 1, 1, 0, 1, 0]);
    reduce(graph, { kept, selection: { kind: 'node', id: 1 }, hover: null }, edges, nodes);
    // node 1 touches edges 0 (0->1), 2 (1->3), 4 (1->4); all kept
    expect(Array.from(edges)).toEqual([EDGE_HIGHLIGHT, EDGE_KEPT, EDGE_HIGHLIGHT, EDGE_FADED, EDGE_HIGHLIGHT, EDGE_FADED]);
    expect([0, 1, 2, 3, 4].map((n) => nodes[2 * n])).toEqual([NODE_HIGHLIGHT, NODE_SELECTED, NODE_KEPT, NODE_HIGHLIGHT, NODE_HIGHLIGHT]);
    // a selected edge lights up itself and its ends; no mask keeps everything
    reduce(graph, { kept: null, selection: { kind: 'edge', id: 3 }, hover: null }, edges, nodes);
    expect(Array.from(edges)).toEqual([1, 1, 1, EDGE_HIGHLIGHT, 1, 1]);
    expect([0, 1, 2, 3, 4].map((n) => nodes[2 * n])).toEqual([NODE_KEPT, NODE_KEPT, NODE_HIGHLIGHT, NODE_HIGHLIGHT, NODE_KEPT]);
    // ids out of range are ignored
    reduce(graph, { kept: null, selection: { kind: 'node', id: 99 }, hover: { kind: 'edge', id: 99 } }, edges, nodes);
    expect(Array.from(edges).every((s) => s === EDGE_KEPT)).toBe(true);
  });

  it('ablated edges, and every edge of an ablated node, are drawn as removed over any other state', () => {
    const edges = new Float32Array(graph.edgeCount);
    const nodes = new Float32Array(graph.nodeCount * 2);
    const kept = Uint8Array.from([1, 0, 1, 0, 1, 0]);
    // edge 3 (2->3) removed, node 1 removed: its edges 0 (0->1), 2 (1->3), 4 (1->4) go with it
    const removed = { edges: Uint8Array.from([0, 0, 0, 1, 0, 0]), nodes: Uint8Array.from([0, 1, 0, 0, 0]) };
    reduce(graph, { kept, removed, selection: { kind: 'node', id: 1 }, hover: { kind: 'edge', id: 5 } }, edges, nodes);
    expect(Array.from(edges)).toEqual([EDGE_REMOVED, EDGE_FADED, EDGE_REMOVED, EDGE_REMOVED, EDGE_REMOVED, EDGE_HIGHLIGHT]);
    expect([0, 1, 2, 3, 4].map((n) => nodes[2 * n])).toEqual([NODE_HIGHLIGHT, NODE_REMOVED, NODE_HIGHLIGHT, NODE_HIGHLIGHT, NODE_HIGHLIGHT]);
    // sizes are untouched; nothing removed gives exactly the states without the field
    expect([0, 1, 2, 3, 4].map((n) => nodes[2 * n + 1])).toEqual([1, 1, 1, 1, 1]);
    const plain = new Float32Array(graph.edgeCount), plainNodes = new Float32Array(graph.nodeCount * 2);
    reduce(graph, { kept, selection: null, hover: null }, plain, plainNodes);
    reduce(graph, { kept, removed: { edges: null, nodes: null }, selection: null, hover: null }, edges, nodes);
    expect(Array.from(edges)).toEqual(Array.from(plain));
    expect(Array.from(nodes)).toEqual(Array.from(plainNodes));
  });

  it('on a random graph, an edge is removed exactly when it or one of its ends is; others keep their state', () => {
    const g = syntheticGraph(400, 4, 6);
    const r = rng(7);
    const kept = Uint8Array.from({ length: g.edgeCount }, () => (r() < 0.3 ? 1 : 0));
    const removed = { edges: Uint8Array.from({ length: g.edgeCount }, () => (r() < 0.01 ? 1 : 0)), nodes: Uint8Array.from({ length: g.nodeCount }, () => (r() < 0.02 ? 1 : 0)) };
    const selection = { kind: 'node' as const, id: 17 };
    const edges = new Float32Array(g.edgeCount), nodes = new Float32Array(g.nodeCount * 2);
    const plain = new Float32Array(g.edgeCount), plainNodes = new Float32Array(g.nodeCount * 2);
    reduce(g, { kept, removed, selection, hover: null }, edges, nodes);
    reduce(g, { kept, selection, hover: null }, plain, plainNodes);
    let removedCount = 0;
    for (let e = 0; e < g.edgeCount; e++) {
      const gone = removed.edges[e] === 1 || removed.nodes[g.edgeSource[e]] === 1 || removed.nodes[g.edgeTarget[e]] === 1;
      if (gone) removedCount++;
      expect(edges[e]).toBe(gone ? EDGE_REMOVED : plain[e]);
    }
    for (let n = 0; n < g.nodeCount; n++) expect(nodes[2 * n]).toBe(removed.nodes[n] ? NODE_REMOVED : plainNodes[2 * n]);
    expect(removedCount).toBeGreaterThan(0);
  });

  it('incidence lists every edge at both of its ends', () => {
    const inc = incidence(graph);
    const at = (n: number) => Array.from(inc.edges.subarray(inc.offsets[n], inc.offsets[n + 1])).sort();
    expect(at(0)).toEqual([0, 1]);
    expect(at(1)).toEqual([0, 2, 4]);
    expect(at(4)).toEqual([4, 5]);
  });
});

describe('picking', () => {
  it('finds the nearest node within the radius, as a brute-force scan does', () => {
    const g = syntheticGraph(3000, 5, 3);
    const pos = gridLayout(g, { layerSpacing: 10 });
    const picker = new Picker(g, pos);
    const r = rng(5);
    for (let k = 0; k < 500; k++) {
      const x = r() * 50 - 5, y = r() * 40 - 20, radius = 0.1 + r();
      let best = -1, bestD = radius * radius;
      for (let n = 0; n < g.nodeCount; n++) {
        const d = (pos[2 * n] - x) ** 2 + (pos[2 * n + 1] - y) ** 2;
        if (d <= bestD) [best, bestD] = [n, d];
      }
      const got = picker.node(x, y, radius);
      if (best < 0) expect(got).toBe(-1);
      else expect((pos[2 * got] - x) ** 2 + (pos[2 * got + 1] - y) ** 2).toBeCloseTo(bestD, 9);
    }
  });

  it('finds the edge under a point and respects the visibility filter', () => {
    const pos = gridLayout(graph, { layerSpacing: 10 }); // input (0,0); conv1 (10,-0.5),(10,0.5); fc (20,-0.5),(20,0.5)
    const picker = new Picker(graph, pos);
    expect(picker.edge(5, -0.25, 0.1)).toBe(0); // halfway along 0->1
    expect(picker.edge(15, -0.5, 0.1)).toBe(2); // 1->3 is horizontal at y = -0.5
    expect(picker.edge(15, -0.5, 0.1, (e) => e !== 2)).toBe(-1);
    expect(picker.edge(5, 3, 0.1)).toBe(-1);
  });
});

describe('synthetic graph', () => {
  it('has exactly the asked-for edges between consecutive layers', () => {
    const g = syntheticGraph(10_000, 8, 1);
    expect(g.edgeCount).toBe(10_000);
    expect(g.layers).toHaveLength(8);
    for (let e = 0; e < g.edgeCount; e += 997) expect(g.nodeLayer[g.edgeTarget[e]]).toBe(g.nodeLayer[g.edgeSource[e]] + 1);
    expect(g.layers.reduce((s, l) => s + l.edgeCount, 0)).toBe(10_000);
  });
});
