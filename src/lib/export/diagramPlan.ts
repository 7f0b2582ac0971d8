// What a circuit diagram shows and where: the kept kernels (the strongest ones when there are
// too many to read) and the units they join, placed in columns by depth, layers stacked in a
// column, and units ordered within their layer so that edges stay short (barycentre sweeps).

import type { CircuitGraph } from '../graph/types';

export interface DiagramCaps {
  /** At most this many kernels drawn, the strongest by importance (default 60). */
  maxKernels?: number;
  /** At most this many units of one layer, those with the strongest kept kernels (default 12). */
  maxUnitsPerLayer?: number;
}

export interface DiagramPlan {
  /** Drawn nodes, ascending: units (filters), input channels and junctions. */
  nodes: number[];
  /** Drawn kernel edges, ascending: each gets a heatmap. */
  kernels: number[];
  /** Drawn junction links (into an add), ascending: plain lines. */
  links: number[];
  /** Kept kernels and kept units of the circuit, before the caps. */
  keptKernels: number;
  keptUnits: number;
  /** "showing the 60 strongest of 228 kernels", or null when everything kept is drawn. */
  note: string | null;
}

export const DEFAULT_MAX_KERNELS = 60;
export const DEFAULT_MAX_UNITS_PER_LAYER = 12;

const isKernel = (g: CircuitGraph, e: number) => g.layers[g.edgeLayer[e]].kind === 'kernels';
/** A unit is a filter: a node of a layer whose incoming edges are kernels. */
export const isUnit = (g: CircuitGraph, n: number) => g.layers[g.nodeLayer[n]].kind === 'kernels';

/** The kept kernel edges of a circuit and the units at their ends (targets included), before any cap. */
export function keptParts(graph: CircuitGraph, kept: Uint8Array, targetNodes: ArrayLike<number> = []): { kernels: number[]; units: number[] } {
  const kernels: number[] = [];
  const on = new Uint8Array(graph.nodeCount);
  for (let e = 0; e < graph.edgeCount; e++) {
    if (kept[e] !== 1 || !isKernel(graph, e)) continue;
    kernels.push(e);
    on[graph.edgeSource[e]] = on[graph.edgeTarget[e]] = 1;
  }
  for (const t of Array.from(targetNodes)) on[t] = 1;
  const units: number[] = [];
  for (let n = 0; n < graph.nodeCount; n++) if (on[n] && isUnit(graph, n)) units.push(n);
  return { kernels, units };
}

/** Which kept kernels, links and nodes the diagram draws, under the caps. */
export function planDiagram(graph: CircuitGraph, kept: Uint8Array, importance: Float32Array, targetNodes: ArrayLike<number> = [], caps: DiagramCaps = {}): DiagramPlan {
  if (kept.length !== graph.edgeCount) throw new RangeError(`kept has ${kept.length} entries, the graph has ${graph.edgeCount} edges`);
  if (importance.length !== graph.edgeCount) throw new RangeError(`importance has ${importance.length} entries, the graph has ${graph.edgeCount} edges`);
  const maxKernels = Math.max(1, Math.floor(caps.maxKernels ?? DEFAULT_MAX_KERNELS));
  const maxUnits = Math.max(1, Math.floor(caps.maxUnitsPerLayer ?? DEFAULT_MAX_UNITS_PER_LAYER));
  const targets = new Set(Array.from(targetNodes));
  const all = keptParts(graph, kept, targetNodes);
  const imp = (e: number) => (Number.isFinite(importance[e]) ? importance[e] : 0);
  // a node's strength: the summed importance of its kept kernels
  const strength = new Float64Array(graph.nodeCount);
  for (const e of all.kernels) {
    strength[graph.edgeSource[e]] += imp(e);
    strength[graph.edgeTarget[e]] += imp(e);
  }
  const allowed = allowedNodes(graph, all.kernels, strength, targets, maxUnits);
  const candidates = all.kernels.filter((e) => allowed.has(graph.edgeSource[e]) && allowed.has(graph.edgeTarget[e]));
  candidates.sort((a, b) => imp(b) - imp(a) || a - b);
  const kernels = candidates.slice(0, maxKernels).sort((a, b) => a - b);
  const on = new Set<number>(targets);
  for (const e of kernels) on.add(graph.edgeSource[e]).add(graph.edgeTarget[e]);
  const links = junctionLinks(graph, kept, on, allowed);
  const nodes = [...on].sort((a, b) => a - b);
  const shownUnits = nodes.filter((n) => isUnit(graph, n)).length;
  const parts: string[] = [];
  if (kernels.length < all.kernels.length) parts.push(`the ${kernels.length} strongest of ${all.kernels.length} kernels`);
  if (shownUnits < all.units.length) parts.push(`${shownUnits} of ${all.units.length} units`);
  return { nodes, kernels, links, keptKernels: all.kernels.length, keptUnits: all.units.length, note: parts.length ? `showing ${parts.join(' and ')}` : null };
}

/** Per layer, the strongest units (targets always), and every non-unit node (input channels, junctions). */
function allowedNodes(graph: CircuitGraph, kernels: number[], strength: Float64Array, targets: Set<number>, maxUnits: number): Set<number> {
  const byLayer = new Map<number, number[]>();
  for (const e of kernels)
    for (const n of [graph.edgeSource[e], graph.edgeTarget[e]]) {
      const l = graph.nodeLayer[n];
      const list = byLayer.get(l) ?? byLayer.set(l, []).get(l)!;
      if (!list.includes(n)) list.push(n);
    }
  const allowed = new Set<number>(targets);
  for (const [l, list] of byLayer) {
    if (graph.layers[l].kind !== 'kernels') {
      list.forEach((n) => allowed.add(n));
      continue;
    }
    list.sort((a, b) => strength[b] - strength[a] || a - b);
    const room = Math.max(0, maxUnits - list.filter((n) => targets.has(n)).length);
    list.filter((n) => !targets.has(n)).slice(0, room).forEach((n) => allowed.add(n));
  }
  return allowed;
}

/** Kept links into drawn junctions, deepest junction first (so a chain of junctions comes in whole); their sources join the drawing. */
function junctionLinks(graph: CircuitGraph, kept: Uint8Array, on: Set<number>, allowed: Set<number>): number[] {
  const links: number[] = [];
  const order: number[] = [];
  for (let e = 0; e < graph.edgeCount; e++) if (kept[e] === 1 && !isKernel(graph, e)) order.push(e);
  order.sort((a, b) => graph.layers[graph.edgeLayer[b]].depth - graph.layers[graph.edgeLayer[a]].depth || a - b);
  for (const e of order) {
    const s = graph.edgeSource[e], t = graph.edgeTarget[e];
    if (!on.has(t) || !allowed.has(s)) continue;
    on.add(s);
    links.push(e);
  }
  return links.sort((a, b) => a - b);
}

// ------------------------------------------------------------------ layout

export interface DiagramGeometry {
  /** Picture side of a unit, px. */
  unit: number;
  /** Vertical distance between neighbouring units of a layer, px. */
  rowPitch: number;
  /** Horizontal distance between columns, px. */
  columnPitch: number;
  /** Room above a layer's units for its name, and between stacked layers, px. */
  layerHeader: number;
  layerGap: number;
}

export const DEFAULT_GEOMETRY: DiagramGeometry = { unit: 52, rowPitch: 74, columnPitch: 230, layerHeader: 18, layerGap: 18 };

export interface DiagramLayout {
  /** Centre of each drawn node. */
  position: Map<number, { x: number; y: number }>;
  /** Each drawn layer: its name and where its name goes (centred above its first unit). */
  layers: { layer: number; name: string; x: number; y: number }[];
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** Columns by depth, layers stacked in a column, units ordered by barycentres of their drawn neighbours. */
export function layoutDiagram(graph: CircuitGraph, plan: DiagramPlan, geo: DiagramGeometry = DEFAULT_GEOMETRY): DiagramLayout {
  const depths = [...new Set(plan.nodes.map((n) => graph.layers[graph.nodeLayer[n]].depth))].sort((a, b) => a - b);
  const column = new Map(depths.map((d, i) => [d, i]));
  // layers of each column, in graph order, each with its units in channel order to start
  const blocks: { layer: number; nodes: number[] }[][] = depths.map(() => []);
  for (const n of plan.nodes) {
    const l = graph.nodeLayer[n];
    const col = blocks[column.get(graph.layers[l].depth)!];
    const block = col.find((b) => b.layer === l) ?? (col.push({ layer: l, nodes: [] }), col[col.length - 1]);
    block.nodes.push(n);
  }
  for (const col of blocks) col.sort((a, b) => a.layer - b.layer);
  const edges = [...plan.kernels, ...plan.links];
  const position = new Map<number, { x: number; y: number }>();
  const place = () => {
    const heights = blocks.map((col) => col.reduce((h, b) => h + geo.layerHeader + b.nodes.length * geo.rowPitch, 0) + Math.max(0, col.length - 1) * geo.layerGap);
    const tallest = Math.max(0, ...heights);
    blocks.forEach((col, c) => {
      let y = (tallest - heights[c]) / 2;
      for (const b of col) {
        y += geo.layerHeader;
        b.nodes.forEach((n, k) => position.set(n, { x: c * geo.columnPitch, y: y + k * geo.rowPitch + geo.rowPitch / 2 }));
        y += b.nodes.length * geo.rowPitch + geo.layerGap;
      }
    });
  };
  place();
  for (let sweep = 0; sweep < 6; sweep++) {
    const forward = sweep % 2 === 0;
    const cols = forward ? blocks.keys() : [...blocks.keys()].reverse();
    for (const c of cols) {
      for (const b of blocks[c]) b.nodes = byBarycentre(graph, b.nodes, edges, position, forward);
      place();
    }
  }
  const layers = blocks.flatMap((col) => col.map((b) => ({ layer: b.layer, name: graph.layers[b.layer].name, x: position.get(b.nodes[0])!.x, y: position.get(b.nodes[0])!.y - geo.rowPitch / 2 - 4 })));
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (const p of position.values()) {
    minX = Math.min(minX, p.x); maxX = Math.max(maxX, p.x); minY = Math.min(minY, p.y); maxY = Math.max(maxY, p.y);
  }
  for (const l of layers) minY = Math.min(minY, l.y);
  if (!position.size) minX = maxX = minY = maxY = 0;
  return { position, layers, minX, maxX, minY, maxY };
}

/** A layer's nodes sorted by the mean y of their neighbours on one side (sources going forward, targets going back); nodes without any keep their place. */
function byBarycentre(graph: CircuitGraph, nodes: number[], edges: number[], position: Map<number, { x: number; y: number }>, forward: boolean): number[] {
  const sum = new Map<number, { s: number; k: number }>();
  for (const e of edges) {
    const [self, other] = forward ? [graph.edgeTarget[e], graph.edgeSource[e]] : [graph.edgeSource[e], graph.edgeTarget[e]];
    const p = position.get(other);
    if (!p || !nodes.includes(self)) continue;
    const acc = sum.get(self) ?? { s: 0, k: 0 };
    acc.s += p.y;
    acc.k++;
    sum.set(self, acc);
  }
  const key = nodes.map((n, i) => {
    const acc = sum.get(n);
    return { n, i, y: acc ? acc.s / acc.k : position.get(n)!.y };
  });
  key.sort((a, b) => a.y - b.y || a.i - b.i);
  return key.map((k) => k.n);
}
