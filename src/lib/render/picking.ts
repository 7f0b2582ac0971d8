// Picking on the CPU: the node nearest the pointer through a uniform grid over node positions,
// else the nearest drawn edge by point-to-segment distance (a linear scan, fast enough for
// hundreds of thousands of edges once per frame).

import type { CircuitGraph } from '../graph/types';

export class Picker {
  private cell = 1;
  private minX = 0;
  private minY = 0;
  private cols = 1;
  private rows = 1;
  private starts = new Uint32Array(2);
  private items = new Uint32Array(0);

  constructor(private graph: CircuitGraph, private positions: Float32Array) {
    this.index();
  }

  setPositions(positions: Float32Array): void {
    this.positions = positions;
    this.index();
  }

  private index(): void {
    const p = this.positions, n = this.graph.nodeCount;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, p[2 * i]); maxX = Math.max(maxX, p[2 * i]);
      minY = Math.min(minY, p[2 * i + 1]); maxY = Math.max(maxY, p[2 * i + 1]);
    }
    if (n === 0) minX = minY = maxX = maxY = 0;
    this.cell = Math.max(1, Math.sqrt(((maxX - minX + 1) * (maxY - minY + 1)) / Math.max(1, n)));
    this.minX = minX; this.minY = minY;
    this.cols = Math.floor((maxX - minX) / this.cell) + 1;
    this.rows = Math.floor((maxY - minY) / this.cell) + 1;
    const cellOf = (i: number) => this.cellIndex(p[2 * i], p[2 * i + 1]);
    const counts = new Uint32Array(this.cols * this.rows + 1);
    for (let i = 0; i < n; i++) counts[cellOf(i) + 1]++;
    for (let c = 0; c < this.cols * this.rows; c++) counts[c + 1] += counts[c];
    const fill = counts.slice(0, -1);
    const items = new Uint32Array(n);
    for (let i = 0; i < n; i++) items[fill[cellOf(i)]++] = i;
    this.starts = counts;
    this.items = items;
  }

  private cellIndex(x: number, y: number): number {
    const cx = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.minX) / this.cell)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.minY) / this.cell)));
    return cy * this.cols + cx;
  }

  /** The node within `radius` (world units) nearest (x, y), or -1. */
  node(x: number, y: number, radius: number): number {
    const p = this.positions;
    let best = -1, bestD = radius * radius;
    const reach = Math.ceil(radius / this.cell);
    const cx = Math.floor((x - this.minX) / this.cell), cy = Math.floor((y - this.minY) / this.cell);
    for (let gy = Math.max(0, cy - reach); gy <= Math.min(this.rows - 1, cy + reach); gy++) {
      for (let gx = Math.max(0, cx - reach); gx <= Math.min(this.cols - 1, cx + reach); gx++) {
        const c = gy * this.cols + gx;
        for (let k = this.starts[c]; k < this.starts[c + 1]; k++) {
          const i = this.items[k];
          const d = (p[2 * i] - x) ** 2 + (p[2 * i + 1] - y) ** 2;
          if (d <= bestD) [best, bestD] = [i, d];
        }
      }
    }
    return best;
  }

  /** The edge within `radius` of (x, y) nearest it, among those `visible` allows, or -1. */
  edge(x: number, y: number, radius: number, visible?: (e: number) => boolean): number {
    const g = this.graph, p = this.positions;
    let best = -1, bestD = radius * radius;
    for (let e = 0; e < g.edgeCount; e++) {
      const s = g.edgeSource[e], t = g.edgeTarget[e];
      const ax = p[2 * s], ay = p[2 * s + 1], bx = p[2 * t], by = p[2 * t + 1];
      if (Math.min(ax, bx) - radius > x || Math.max(ax, bx) + radius < x) continue;
      if (Math.min(ay, by) - radius > y || Math.max(ay, by) + radius < y) continue;
      const dx = bx - ax, dy = by - ay;
      const len2 = dx * dx + dy * dy || 1;
      const u = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
      const d = (ax + u * dx - x) ** 2 + (ay + u * dy - y) ** 2;
      if (d <= bestD && (!visible || visible(e))) [best, bestD] = [e, d];
    }
    return best;
  }
}
