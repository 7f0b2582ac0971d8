// Where each layer of the drawn graph goes: its column along the forward axis (x, by depth) and
// the centre of its lane across it (y). A run of layers that feed only each other is one lane;
// parallel branches (lanes sharing depths) are packed side by side, and a junction sits where
// the lanes it joins meet.

import type { CircuitGraph } from './types';

/** Empty space between neighbouring lanes, in node spacings (nodes of a column are 1 apart). */
export const LANE_GAP = 4;
/** Width : height the default column spacing aims for (a landscape panel). */
export const TARGET_ASPECT = 2;
const MIN_SPACING = 6;

export interface LayerFrame {
  /** Column (x) and the centre of the layer's nodes across it (y). */
  x: number;
  y: number;
  /** Depth used for x (the longest path from the input, over layers). */
  depth: number;
  /** Lane (chain of layers drawn in line) the layer belongs to. */
  lane: number;
}

export interface LaneLayout {
  frames: LayerFrame[];
  /** Distance between neighbouring depths along x. */
  spacing: number;
  /** Layers feeding each layer, and fed by it. */
  preds: number[][];
  succs: number[][];
}

/** Layer-to-layer links from the edges; a layer with no incoming edges (a dense block) follows the layer before it. */
export function layerLinks(graph: CircuitGraph): { preds: number[][]; succs: number[][] } {
  const L = graph.layers.length;
  const preds = Array.from({ length: L }, () => new Set<number>());
  for (let e = 0; e < graph.edgeCount; e++) {
    const s = graph.nodeLayer[graph.edgeSource[e]], t = graph.edgeLayer[e];
    if (s !== t) preds[t].add(s);
  }
  graph.layers.forEach((l, i) => {
    if (i > 0 && preds[i].size === 0 && l.kind !== 'input') preds[i].add(i - 1);
  });
  const predList = preds.map((s) => [...s].sort((a, b) => a - b));
  const succs: number[][] = Array.from({ length: L }, () => []);
  predList.forEach((ps, i) => ps.forEach((p) => succs[p].push(i)));
  return { preds: predList, succs };
}

interface Chain {
  layers: number[];
  preds: number[];
  d0: number;
  d1: number;
  /** Extent of its tallest layer's node centres. */
  span: number;
  y0: number;
}

/** Chains: a layer continues its only predecessor's lane when it is that layer's only successor. */
function chains(graph: CircuitGraph, preds: number[][], succs: number[][], depth: number[]): { list: Chain[]; chainOf: number[] } {
  const list: Chain[] = [];
  const chainOf: number[] = [];
  graph.layers.forEach((l, i) => {
    const p = preds[i];
    const span = Math.max(0, l.nodeCount - 1);
    if (p.length === 1 && succs[p[0]].length === 1 && chainOf[p[0]] !== undefined) {
      const c = list[chainOf[p[0]]];
      c.layers.push(i);
      c.d1 = Math.max(c.d1, depth[i]);
      c.span = Math.max(c.span, span);
      chainOf[i] = chainOf[p[0]];
    } else {
      chainOf[i] = list.length;
      list.push({ layers: [i], preds: p, d0: depth[i], d1: depth[i], span, y0: 0 });
    }
  });
  return { list, chainOf };
}

interface Placed { d0: number; d1: number; y0: number; y1: number }

/** The top y nearest `want` at which every chain of the block (tops at `offsets`) is clear of the placed ones. */
function freeTop(block: Chain[], offsets: number[], want: number, placed: Placed[]): number {
  const clashes = (top: number) => block.some((c, j) => placed.some((p) =>
    p.d0 <= c.d1 && c.d0 <= p.d1 && top + offsets[j] < p.y1 + LANE_GAP && p.y0 < top + offsets[j] + c.span + LANE_GAP));
  const tries = [want];
  block.forEach((c, j) => {
    for (const p of placed) {
      if (p.d0 > c.d1 || c.d0 > p.d1) continue;
      tries.push(p.y1 + LANE_GAP - offsets[j], p.y0 - LANE_GAP - c.span - offsets[j]);
    }
  });
  tries.sort((a, b) => Math.abs(a - want) - Math.abs(b - want) || a - b);
  return tries.find((t) => !clashes(t)) ?? want;
}

/** Chains that start together from the same layers (parallel branches) are placed as one block, in graph order. */
function placeChains(list: Chain[], chainOf: number[]): void {
  const placed: Placed[] = [];
  const centre = (layer: number) => list[chainOf[layer]].y0 + list[chainOf[layer]].span / 2;
  const groups = new Map<string, Chain[]>();
  for (const c of list) {
    const key = `${c.d0}|${c.preds.join(',')}`;
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  for (const block of groups.values()) {
    const offsets: number[] = [];
    let h = 0;
    for (const c of block) {
      offsets.push(h);
      h += c.span + LANE_GAP;
    }
    h -= LANE_GAP;
    const preds = block[0].preds;
    const want = (preds.length ? preds.reduce((s, p) => s + centre(p), 0) / preds.length : 0) - h / 2;
    const top = freeTop(block, offsets, want, placed);
    block.forEach((c, j) => {
      c.y0 = top + offsets[j];
      placed.push({ d0: c.d0, d1: c.d1, y0: c.y0, y1: c.y0 + c.span });
    });
  }
}

/** Columns by depth, lanes across; centred on y = 0. `spacing`: x between depths (default: aims at TARGET_ASPECT). */
export function laneLayout(graph: CircuitGraph, spacing?: number): LaneLayout {
  const { preds, succs } = layerLinks(graph);
  const depth: number[] = [];
  preds.forEach((ps, i) => (depth[i] = ps.length ? Math.max(...ps.map((p) => depth[p])) + 1 : 0));
  const { list, chainOf } = chains(graph, preds, succs, depth);
  placeChains(list, chainOf);
  const top = Math.min(...list.map((c) => c.y0)), bottom = Math.max(...list.map((c) => c.y0 + c.span));
  const mid = (top + bottom) / 2;
  const maxDepth = Math.max(1, ...depth);
  const dx = spacing ?? Math.max(MIN_SPACING, (TARGET_ASPECT * (bottom - top + 1)) / maxDepth);
  const frames = graph.layers.map((_, i) => {
    const c = list[chainOf[i]];
    return { x: depth[i] * dx, y: c.y0 + c.span / 2 - mid, depth: depth[i], lane: chainOf[i] };
  });
  return { frames, spacing: dx, preds, succs };
}
