// Class MDS positions (the tool paper's layout): each layer's nodes placed by classical MDS of
// their per-class importance vectors, spread over the layer's own band (its column's width and
// its lane's height), turned so that the layer's top edges from earlier layers are short.

import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { CircuitGraph } from './types';
import { laneLayout } from './layoutLanes';

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

export interface MdsOptions {
  /** Distance between neighbouring depths along x (as for the grid). */
  layerSpacing?: number;
  /** Per edge importance, to pick each layer's top edges for the rotation. */
  edgeImportance?: ArrayLike<number>;
  /** Top edges per layer used for the rotation (default: 2 per node). */
  topEdgesPerNode?: number;
  /** Layers larger than this keep their grid column (the eigendecomposition is cubic). */
  maxNodes?: number;
}

/** Half the width of a layer's band, as a fraction of the column spacing (bands of neighbouring columns stay apart). */
export const MDS_BAND = 0.35;

/** A layer's band: centre and half sizes; MDS coordinates in the unit disc map onto it. */
export interface Band {
  cx: number;
  cy: number;
  hw: number;
  hh: number;
}

/** Each layer's band: MDS_BAND of the spacing either side of its column, its grid column's height (at least 1 either side). */
export function layerBands(graph: CircuitGraph, opts: MdsOptions = {}): Band[] {
  const { frames, spacing } = laneLayout(graph, opts.layerSpacing);
  return graph.layers.map((l, i) => ({ cx: frames[i].x, cy: frames[i].y, hw: spacing * MDS_BAND, hh: Math.max(1, (l.nodeCount - 1) / 2) }));
}

/** Unit-length class vectors of a layer's nodes and their squared distances. */
function classDistances(start: number, n: number, classImportance: ArrayLike<number>, classes: number): Float64Array {
  const vec = new Float64Array(n * classes);
  for (let i = 0; i < n; i++) {
    let norm = 0;
    for (let c = 0; c < classes; c++) norm += Number(classImportance[(start + i) * classes + c]) ** 2 || 0;
    norm = Math.sqrt(norm) || 1;
    for (let c = 0; c < classes; c++) vec[i * classes + c] = (Number(classImportance[(start + i) * classes + c]) || 0) / norm;
  }
  const d2 = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += (vec[i * classes + c] - vec[j * classes + c]) ** 2;
    d2[i * n + j] = d2[j * n + i] = s;
  }
  return d2;
}

/**
 * Class MDS: node n's vector is classImportance[n*classes .. +classes), L2-normalized; per
 * layer, Euclidean distances -> classical MDS -> the unit disc, stretched over the layer's band;
 * then, layer by layer, the rotation that minimises the length of its top edges to earlier
 * layers. Layers with fewer than 3 nodes, too many, or alike vectors keep their grid column.
 */
export function mdsLayout(graph: CircuitGraph, classImportance: ArrayLike<number>, classes: number, opts: MdsOptions = {}): Float32Array {
  const bands = layerBands(graph, opts);
  const pos = new Float32Array(graph.nodeCount * 2);
  graph.layers.forEach((g, l) => {
    const b = bands[l];
    for (let i = 0; i < g.nodeCount; i++) {
      pos[2 * (g.nodeStart + i)] = b.cx;
      pos[2 * (g.nodeStart + i) + 1] = b.cy + i - (g.nodeCount - 1) / 2;
    }
  });
  graph.layers.forEach((g, l) => {
    const n = g.nodeCount;
    if (n < 3 || n > (opts.maxNodes ?? 1024)) return;
    const xy = classicalMds(classDistances(g.nodeStart, n, classImportance, classes), n);
    let r = 0;
    for (let i = 0; i < n; i++) r = Math.max(r, Math.hypot(xy[2 * i], xy[2 * i + 1]));
    if (r < 1e-9) return; // all vectors alike: keep the grid column
    for (let i = 0; i < 2 * n; i++) xy[i] /= r;
    // the rotation is chosen in the band's unit disc, with the edges' sources mapped into it
    const b = bands[l];
    const edges = topEdges(graph, l, pos, opts).map(([i, fx, fy]) => [i, (fx - b.cx) / b.hw, (fy - b.cy) / b.hh] as [number, number, number]);
    const t = bestRotation(xy, [0, 0], edges);
    const c = Math.cos(t), s = Math.sin(t);
    for (let i = 0; i < n; i++) {
      const px = xy[2 * i], py = xy[2 * i + 1];
      pos[2 * (g.nodeStart + i)] = b.cx + (c * px - s * py) * b.hw;
      pos[2 * (g.nodeStart + i) + 1] = b.cy + (s * px + c * py) * b.hh;
    }
  });
  return pos;
}

const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + i);

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
