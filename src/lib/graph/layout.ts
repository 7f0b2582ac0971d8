// Node positions for the graph view (x, y per node, in abstract units: neighbouring nodes of a
// column are 1 apart). The forward axis is the layer depth; within a layer: index order (grid),
// importance order (sorted) or Class MDS as in the tool paper, rotated to shorten top edges.

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { CircuitGraph } from './types';

export type LayoutName = 'grid' | 'sorted' | 'mds';

export interface LayoutOptions {
  /** Distance between neighbouring depths along x (default: fits the tallest column). */
  layerSpacing?: number;
}

/** Layers grouped by depth, in graph order; layers sharing a depth are stacked in one column. */
function columns(graph: CircuitGraph): number[][] {
  const cols: number[][] = [];
  graph.layers.forEach((l, i) => (cols[l.depth] ??= []).push(i));
  return cols.map((c) => c ?? []);
}

function spacingFor(graph: CircuitGraph, opts: LayoutOptions): number {
  if (opts.layerSpacing) return opts.layerSpacing;
  const tallest = Math.max(1, ...columns(graph).map((c) => c.reduce((s, l) => s + graph.layers[l].nodeCount, 0)));
  return Math.max(8, Math.sqrt(tallest) * 4);
}

/** Places each column's nodes top to bottom in the order `order` gives (node indices). */
function placeColumns(graph: CircuitGraph, order: (layer: number) => number[], opts: LayoutOptions): Float32Array {
  const pos = new Float32Array(graph.nodeCount * 2);
  const dx = spacingFor(graph, opts);
  columns(graph).forEach((layers, depth) => {
    const nodes = layers.flatMap((l, k) => (k > 0 ? [-1, ...order(l)] : order(l))); // a gap between stacked layers
    nodes.forEach((n, j) => {
      if (n < 0) return;
      pos[2 * n] = depth * dx;
      pos[2 * n + 1] = j - (nodes.length - 1) / 2;
    });
  });
  return pos;
}

const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);

/** Index order: layers along x by depth, nodes in index order along y, centred. */
export function gridLayout(graph: CircuitGraph, opts: LayoutOptions = {}): Float32Array {
  return placeColumns(graph, (l) => range(graph.layers[l].nodeStart, graph.layers[l].nodeCount), opts);
}

/** Like the grid, with each layer's nodes sorted by importance, most important on top. */
export function sortedLayout(graph: CircuitGraph, nodeImportance: ArrayLike<number>, opts: LayoutOptions = {}): Float32Array {
  return placeColumns(graph, (l) => {
    const g = graph.layers[l];
    return range(g.nodeStart, g.nodeCount).sort((a, b) => (nodeImportance[b] || 0) - (nodeImportance[a] || 0) || a - b);
  }, opts);
}

/** Classical MDS: n points (row-major n x n squared distances) to 2D coordinates (n x 2). */
export function classicalMds(squaredDistances: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * 2);
  if (n < 2) return out;
  const d = Matrix.from1DArray(n, n, squaredDistances);
  // B = -1/2 J D J with J = I - 11'/n: subtract row and column means, add the grand mean
  const rowMean = new Float64Array(n);
  let all = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) rowMean[i] += d.get(i, j) / n;
    all += rowMean[i] / n;
  }
  const b = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b.set(i, j, -0.5 * (d.get(i, j) - rowMean[i] - rowMean[j] + all));
  const eig = new EigenvalueDecomposition(b, { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix;
  const top = values.map((v, i) => [v, i]).sort((p, q) => q[0] - p[0]).slice(0, 2);
  top.forEach(([v, col], axis) => {
    const scale = Math.sqrt(Math.max(0, v));
    for (let i = 0; i < n; i++) out[2 * i + axis] = vectors.get(i, col) * scale;
  });
  return out;
}

/** Rotations tried per layer. */
export const MDS_ANGLES = 64;

/** Among MDS_ANGLES rotations about `center`, the angle minimising the summed edge lengths. */
export function bestRotation(points: Float64Array, center: [number, number], edges: Array<[number, number, number]>): number {
  // edges: [index into points, fixed x, fixed y]
  let best = 0, bestCost = Infinity;
  for (let k = 0; k < MDS_ANGLES; k++) {
    const t = (2 * Math.PI * k) / MDS_ANGLES, c = Math.cos(t), s = Math.sin(t);
    let cost = 0;
    for (const [i, fx, fy] of edges) {
      const px = points[2 * i] - center[0], py = points[2 * i + 1] - center[1];
      cost += Math.hypot(center[0] + c * px - s * py - fx, center[1] + s * px + c * py - fy);
    }
    if (cost < bestCost - 1e-9) [best, bestCost] = [t, cost];
  }
  return best;
}

export interface MdsOptions extends LayoutOptions {
  /** Per edge importance, to pick each layer's top edges for the rotation. */
  edgeImportance?: ArrayLike<number>;
  /** Top edges per layer used for the rotation (default: 2 per node). */
  topEdgesPerNode?: number;
  /** Layers larger than this keep their grid column (the eigendecomposition is cubic). */
  maxNodes?: number;
}

/**
 * Class MDS: node n's vector is classImportance[n*classes .. +classes), L2-normalized; per
 * layer, Euclidean distances -> classical MDS -> a disc centred on the layer's column; then,
 * layer by layer, the rotation that minimises the length of its top edges to earlier layers.
 */
export function mdsLayout(graph: CircuitGraph, classImportance: ArrayLike<number>, classes: number, opts: MdsOptions = {}): Float32Array {
  const pos = gridLayout(graph, opts);
  const dx = spacingFor(graph, opts);
  const cols = columns(graph);
  for (const [depth, layers] of cols.entries()) {
    const total = layers.reduce((s, l) => s + graph.layers[l].nodeCount, 0);
    layers.forEach((l, k) => {
      const g = graph.layers[l];
      const n = g.nodeCount;
      if (n < 3 || n > (opts.maxNodes ?? 1024)) return;
      const vec = new Float64Array(n * classes);
      for (let i = 0; i < n; i++) {
        let norm = 0;
        for (let c = 0; c < classes; c++) norm += Number(classImportance[(g.nodeStart + i) * classes + c]) ** 2 || 0;
        norm = Math.sqrt(norm) || 1;
        for (let c = 0; c < classes; c++) vec[i * classes + c] = (Number(classImportance[(g.nodeStart + i) * classes + c]) || 0) / norm;
      }
      const d2 = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let c = 0; c < classes; c++) s += (vec[i * classes + c] - vec[j * classes + c]) ** 2;
        d2[i * n + j] = d2[j * n + i] = s;
      }
      const xy = classicalMds(d2, n);
      let r = 0;
      for (let i = 0; i < n; i++) r = Math.max(r, Math.hypot(xy[2 * i], xy[2 * i + 1]));
      if (r < 1e-9) return; // all vectors alike: keep the grid column
      // a disc whose area matches the grid column's, centred where the layer's grid slice is
      const radius = Math.min(dx * 0.45, Math.max(2, n * 0.4));
      const cy = layers.length > 1 ? (k - (layers.length - 1) / 2) * (total / layers.length + 1) : 0;
      const center: [number, number] = [depth * dx, cy];
      const pts = new Float64Array(n * 2);
      for (let i = 0; i < n; i++) {
        pts[2 * i] = center[0] + (xy[2 * i] / r) * radius;
        pts[2 * i + 1] = center[1] + (xy[2 * i + 1] / r) * radius;
      }
      const t = bestRotation(pts, center, topEdges(graph, l, pos, opts));
      const c = Math.cos(t), s = Math.sin(t);
      for (let i = 0; i < n; i++) {
        const px = pts[2 * i] - center[0], py = pts[2 * i + 1] - center[1];
        pos[2 * (g.nodeStart + i)] = center[0] + c * px - s * py;
        pos[2 * (g.nodeStart + i) + 1] = center[1] + s * px + c * py;
      }
    });
  }
  return pos;
}

/** The layer's most important incoming edges: [local target index, source x, source y]. */
function topEdges(graph: CircuitGraph, layer: number, pos: Float32Array, opts: MdsOptions): Array<[number, number, number]> {
  const g = graph.layers[layer];
  const imp = opts.edgeImportance;
  const ids = range(g.edgeStart, g.edgeCount);
  if (imp) ids.sort((a, b) => (Number(imp[b]) || 0) - (Number(imp[a]) || 0));
  return ids.slice(0, Math.max(1, (opts.topEdgesPerNode ?? 2) * g.nodeCount)).map((e) => {
    const s = graph.edgeSource[e];
    return [graph.edgeTarget[e] - g.nodeStart, pos[2 * s], pos[2 * s + 1]];
  });
}
