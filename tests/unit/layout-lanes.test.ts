// The lane layout: parallel branches (of a synthetic inception module, of fashion-inception, of
// a deep GoogLeNet-like stack of modules and of a ResNet-like chain of blocks) get distinct
// lanes, no two layers' node boxes overlap, junctions lie after the branches they join, and
// Class MDS keeps each layer inside its own band with bands disjoint.
import { describe, expect, it } from 'vitest';
import { gridLayout, mdsLayout, sortedLayout } from '../../src/lib/graph/layout';
import { laneLayout, layerLinks } from '../../src/lib/graph/layoutLanes';
import { layerBands } from '../../src/lib/graph/layoutMds';
import { buildGraph } from '../../src/lib/graph/build';
import type { CircuitGraph, GraphLayer } from '../../src/lib/graph/types';
import { loadBuiltinModel } from '../../tools/node/builtin';
import { rng } from '../helpers/random';

/** A drawn graph from layer specs: each layer fully connected from the nodes of the layers it names. */
function dagGraph(spec: { name: string; nodes: number; from?: string[]; kind?: GraphLayer['kind'] }[]): CircuitGraph {
  const layers: GraphLayer[] = [];
  const nodeLayer: number[] = [], src: number[] = [], dst: number[] = [], elayer: number[] = [];
  const index = new Map<string, number>();
  spec.forEach((s, l) => {
    const nodeStart = nodeLayer.length, edgeStart = src.length;
    for (let i = 0; i < s.nodes; i++) nodeLayer.push(l);
    for (const f of s.from ?? []) {
      const p = layers[index.get(f)!];
      for (let o = 0; o < s.nodes; o++) for (let i = 0; i < p.nodeCount; i++) {
        src.push(p.nodeStart + i);
        dst.push(nodeStart + o);
        elayer.push(l);
      }
    }
    index.set(s.name, l);
    layers.push({ name: s.name, op: l ? 'conv2d' : 'input', kind: s.kind ?? (l ? 'kernels' : 'input'), modelLayer: l - 1, depth: 0, nodeStart, nodeCount: s.nodes, edgeStart, edgeCount: src.length - edgeStart });
  });
  const E = src.length;
  return {
    layers, nodeCount: nodeLayer.length, edgeCount: E, nodeLayer: Uint32Array.from(nodeLayer),
    nodeChannel: Uint32Array.from(nodeLayer.map((l, n) => n - layers[l].nodeStart)),
    edgeSource: Uint32Array.from(src), edgeTarget: Uint32Array.from(dst), edgeLayer: Uint32Array.from(elayer),
    edgeOut: new Uint32Array(E), edgeIn: new Uint32Array(E), edgeSign: new Int8Array(E).fill(1),
  };
}

/** An inception module reading `from`: 1x1, 3x3 (reduce -> 3x3), 5x5 (reduce -> 5x5), pool projection; its concat is looked through. */
function module(p: string, from: string[], w: number): Parameters<typeof dagGraph>[0] {
  return [
    { name: `${p}_1x1`, nodes: w, from }, { name: `${p}_3r`, nodes: w, from }, { name: `${p}_3x3`, nodes: w + 2, from: [`${p}_3r`] },
    { name: `${p}_5r`, nodes: w >> 1, from }, { name: `${p}_5x5`, nodes: w, from: [`${p}_5r`] }, { name: `${p}_pool`, nodes: w, from },
  ];
}
const outs = (p: string) => [`${p}_1x1`, `${p}_3x3`, `${p}_5x5`, `${p}_pool`];

/** Per layer, the box its nodes cover: [x0, x1, y0, y1]. */
function boxes(g: CircuitGraph, pos: Float32Array): number[][] {
  return g.layers.map((l) => {
    const b = [Infinity, -Infinity, Infinity, -Infinity];
    for (let n = l.nodeStart; n < l.nodeStart + l.nodeCount; n++) {
      b[0] = Math.min(b[0], pos[2 * n] - 0.35); b[1] = Math.max(b[1], pos[2 * n] + 0.35);
      b[2] = Math.min(b[2], pos[2 * n + 1] - 0.35); b[3] = Math.max(b[3], pos[2 * n + 1] + 0.35);
    }
    return b;
  });
}
const overlap = (a: number[], b: number[]) => a[0] < b[1] && b[0] < a[1] && a[2] < b[3] && b[2] < a[3];

function expectNoOverlaps(g: CircuitGraph, pos: Float32Array): void {
  const b = boxes(g, pos);
  for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++) {
    expect(overlap(b[i], b[j]), `${g.layers[i].name} and ${g.layers[j].name} overlap`).toBe(false);
  }
}

/** Junctions (layers fed by several layers) lie right of every layer feeding them. */
function expectJunctionsAfter(g: CircuitGraph, pos: Float32Array): void {
  const { preds } = layerLinks(g);
  const b = boxes(g, pos);
  preds.forEach((ps, l) => ps.forEach((p) => expect(b[l][0], `${g.layers[l].name} after ${g.layers[p].name}`).toBeGreaterThan(b[p][1])));
}

/** The layers named lie in pairwise distinct lanes: their y ranges are disjoint, with a gap. */
function expectDistinctLanes(g: CircuitGraph, pos: Float32Array, names: string[]): void {
  const b = boxes(g, pos);
  const at = names.map((n) => g.layers.findIndex((l) => l.name === n));
  expect(at.every((i) => i >= 0)).toBe(true);
  for (let i = 0; i < at.length; i++) for (let j = i + 1; j < at.length; j++) {
    const [p, q] = [b[at[i]], b[at[j]]];
    const gap = Math.max(p[2], q[2]) - Math.min(p[3], q[3]);
    expect(gap, `${names[i]} / ${names[j]}`).toBeGreaterThan(1.5);
  }
}

const inceptionLike = () => dagGraph([{ name: 'input', nodes: 3 }, { name: 'stem', nodes: 16, from: ['input'] }, ...module('a', ['stem'], 8), { name: 'head', nodes: 10, from: outs('a') }]);

describe('lane layout', () => {
  it('an inception module: four branches in four lanes, each branch in line, the junction after them', () => {
    const g = inceptionLike();
    const pos = gridLayout(g);
    expectNoOverlaps(g, pos);
    expectJunctionsAfter(g, pos);
    expectDistinctLanes(g, pos, ['a_1x1', 'a_3r', 'a_5r', 'a_pool']);
    expectDistinctLanes(g, pos, ['a_1x1', 'a_3x3', 'a_5x5', 'a_pool']);
    // a branch's layers share its lane centre; the junction sits between the outer lanes
    const { frames } = laneLayout(g);
    const f = (n: string) => frames[g.layers.findIndex((l) => l.name === n)];
    expect(f('a_3x3').y).toBeCloseTo(f('a_3r').y, 9);
    expect(f('a_5x5').y).toBeCloseTo(f('a_5r').y, 9);
    const ys = outs('a').map((n) => f(n).y);
    expect(f('head').y).toBeGreaterThan(Math.min(...ys));
    expect(f('head').y).toBeLessThan(Math.max(...ys));
    expect(f('a_3x3').x).toBeGreaterThan(f('a_3r').x);
  });

  it('fashion-inception: its branches in distinct lanes, no overlaps, junctions after their branches, about twice as wide as tall', () => {
    const g = buildGraph(loadBuiltinModel('fashion-inception'));
    for (const pos of [gridLayout(g), sortedLayout(g, Float32Array.from({ length: g.nodeCount }, (_, n) => (n * 7919) % 101))]) {
      expectNoOverlaps(g, pos);
      expectJunctionsAfter(g, pos);
      expectDistinctLanes(g, pos, ['inc3a_1x1', 'inc3a_3x3_reduce', 'inc3a_5x5_reduce', 'inc3a_pool_proj']);
      expectDistinctLanes(g, pos, ['inc3a_1x1', 'inc3a_3x3', 'inc3a_5x5', 'inc3a_pool_proj']);
      expectDistinctLanes(g, pos, ['inc4a_1x1', 'inc4a_3x3', 'inc4a_5x5', 'inc4a_pool_proj']);
    }
    const pos = gridLayout(g);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let n = 0; n < g.nodeCount; n++) {
      x0 = Math.min(x0, pos[2 * n]); x1 = Math.max(x1, pos[2 * n]);
      y0 = Math.min(y0, pos[2 * n + 1]); y1 = Math.max(y1, pos[2 * n + 1]);
    }
    const aspect = (x1 - x0) / (y1 - y0);
    expect(aspect).toBeGreaterThan(1.4);
    expect(aspect).toBeLessThan(3);
  });

  it('a GoogLeNet-like stack of 9 modules and a ResNet-like chain with projections: no overlaps, distinct lanes in every module', () => {
    const spec: Parameters<typeof dagGraph>[0] = [{ name: 'input', nodes: 3 }, { name: 'stem', nodes: 24, from: ['input'] }];
    let from = ['stem'];
    for (let m = 0; m < 9; m++) {
      spec.push(...module(`m${m}`, from, 6 + ((m * 5) % 11)));
      from = outs(`m${m}`);
    }
    spec.push({ name: 'fc', nodes: 10, from });
    const g = dagGraph(spec);
    const pos = gridLayout(g);
    expectNoOverlaps(g, pos);
    expectJunctionsAfter(g, pos);
    for (let m = 0; m < 9; m++) expectDistinctLanes(g, pos, outs(`m${m}`));

    const res: Parameters<typeof dagGraph>[0] = [{ name: 'input', nodes: 3 }, { name: 'add0', nodes: 8, from: ['input'] }];
    for (let b = 1; b <= 6; b++) {
      const w = 8 << (b >> 1), prev = `add${b - 1}`;
      res.push({ name: `c${b}a`, nodes: w, from: [prev] }, { name: `c${b}b`, nodes: w, from: [`c${b}a`] });
      const skip = b % 2 === 0 ? `proj${b}` : prev;
      if (b % 2 === 0) res.push({ name: `proj${b}`, nodes: w, from: [prev] });
      res.push({ name: `add${b}`, nodes: w, from: [`c${b}b`, skip], kind: 'junction' });
    }
    const rg = dagGraph(res);
    const rpos = gridLayout(rg);
    expectNoOverlaps(rg, rpos);
    expectJunctionsAfter(rg, rpos);
    for (const b of [2, 4, 6]) expectDistinctLanes(rg, rpos, [`c${b}a`, `proj${b}`]);
  });

  it('a dense block (no drawn edges) follows the layer before it, in its lane', () => {
    const g = dagGraph([{ name: 'input', nodes: 3 }, { name: 'conv', nodes: 12, from: ['input'] }, { name: 'fc6', nodes: 40, kind: 'junction' }, { name: 'fc7', nodes: 10, kind: 'junction' }]);
    const { frames } = laneLayout(g, 10);
    expect(frames.map((f) => f.depth)).toEqual([0, 1, 2, 3]);
    expect(frames.map((f) => f.x)).toEqual([0, 10, 20, 30]);
    expectNoOverlaps(g, gridLayout(g));
  });

  it('a plain chain stays one centred column per layer (the grid of old)', () => {
    const g = buildGraph(loadBuiltinModel('fashion-small'));
    const { frames } = laneLayout(g);
    for (const f of frames) expect(f.y).toBeCloseTo(0, 9);
    expect(new Set(frames.map((f) => f.lane)).size).toBe(1);
  });
});

describe('Class MDS bands', () => {
  for (const [name, graph] of [['fashion-inception', () => buildGraph(loadBuiltinModel('fashion-inception'))], ['inception-like', inceptionLike]] as const) {
    it(`${name}: each layer's nodes within its own band, bands disjoint, layers spread over them`, () => {
      const g = graph();
      const classes = 10;
      const r = rng(3);
      const imp = Float32Array.from({ length: g.nodeCount * classes }, () => r() ** 4);
      const pos = mdsLayout(g, imp, classes);
      const bands = layerBands(g);
      const eps = 1e-4;
      g.layers.forEach((l, i) => {
        const b = bands[i];
        let spread = 0;
        for (let n = l.nodeStart; n < l.nodeStart + l.nodeCount; n++) {
          expect(Math.abs(pos[2 * n] - b.cx)).toBeLessThanOrEqual(b.hw + eps);
          expect(Math.abs(pos[2 * n + 1] - b.cy)).toBeLessThanOrEqual(b.hh + eps);
          spread = Math.max(spread, Math.hypot((pos[2 * n] - b.cx) / b.hw, (pos[2 * n + 1] - b.cy) / b.hh));
        }
        // a layer of 3 or more nodes reaches its band's rim (MDS scaled to the band's ellipse)
        if (l.nodeCount >= 3) expect(spread).toBeCloseTo(1, 4);
      });
      for (let i = 0; i < bands.length; i++) for (let j = i + 1; j < bands.length; j++) {
        const [p, q] = [bands[i], bands[j]];
        const apart = Math.abs(p.cx - q.cx) > p.hw + q.hw || Math.abs(p.cy - q.cy) > p.hh + q.hh;
        expect(apart, `${g.layers[i].name} / ${g.layers[j].name}`).toBe(true);
      }
    });
  }
});
