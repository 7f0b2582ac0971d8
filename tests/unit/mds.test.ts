// Layouts: classical MDS recovers known geometry (a square, points on a line), the rotation
// search picks the angle that makes a constructed edge shortest, and the grid / sorted /
// Class MDS layouts place nodes where they should be.
import { describe, expect, it } from 'vitest';
import { bestRotation, classicalMds, gridLayout, mdsLayout, sortedLayout } from '../../src/lib/graph/layout';
import { layerBands } from '../../src/lib/graph/layoutMds';
import { buildModel } from '../helpers/build-model';
import { buildGraph } from '../../src/lib/graph/build';

const dist = (p: Float64Array | Float32Array, i: number, j: number) => Math.hypot(p[2 * i] - p[2 * j], p[2 * i + 1] - p[2 * j + 1]);

function squared(points: number[][]): Float64Array {
  const n = points.length;
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) d[i * n + j] = points[i].reduce((s, v, k) => s + (v - points[j][k]) ** 2, 0);
  return d;
}

describe('classical MDS', () => {
  it('recovers the distances of 4 points on a square', () => {
    const square = [[0, 0], [2, 0], [2, 2], [0, 2]];
    const xy = classicalMds(squared(square), 4);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      expect(dist(xy, i, j)).toBeCloseTo(Math.hypot(square[i][0] - square[j][0], square[i][1] - square[j][1]), 9);
    }
    // centred at the origin
    expect(xy[0] + xy[2] + xy[4] + xy[6]).toBeCloseTo(0, 9);
  });

  it('recovers a planar configuration embedded in 5 dimensions', () => {
    const pts = [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [3, 1, 0, 0, 0], [-2, 4, 0, 0, 0], [0.5, -1, 0, 0, 0]].map((p) => [p[0] + p[1], p[1] - p[0], p[0], p[1], -p[0]]);
    const xy = classicalMds(squared(pts), pts.length);
    for (let i = 0; i < pts.length; i++) for (let j = 0; j < pts.length; j++) {
      expect(dist(xy, i, j)).toBeCloseTo(Math.sqrt(squared([pts[i], pts[j]])[1]), 8);
    }
  });
});

describe('rotation choice', () => {
  it('turns a layer so that its top edge is shortest', () => {
    // two points at (1,0) and (-1,0) around (0,0); one edge from point 0 to a source at (0,1):
    // a quarter turn brings point 0 onto the source
    const pts = new Float64Array([1, 0, -1, 0]);
    expect(bestRotation(pts, [0, 0], [[0, 0, 1]])).toBeCloseTo(Math.PI / 2, 12);
    // a source at (-1,0) for point 0: half a turn
    expect(bestRotation(pts, [0, 0], [[0, -1, 0]])).toBeCloseTo(Math.PI, 12);
    // two edges pulling point 1 towards (0,-5) and point 0 towards (0,5): a quarter turn again
    expect(bestRotation(pts, [0, 0], [[0, 0, 5], [1, 0, -5]])).toBeCloseTo(Math.PI / 2, 12);
  });
});

describe('layouts', () => {
  const m = buildModel('two', { channels: 1, height: 4, width: 4 }, [
    { name: 'conv', op: 'conv2d', attrs: { kernel: [1, 1] }, params: { weight: [4, 1, 1, 1] } },
    { name: 'flat', op: 'flatten' }, { name: 'fc', op: 'linear', params: { weight: [3, 64] } },
  ], 3);
  const g = buildGraph(m); // nodes: input 0, conv 1-4, fc 5-7

  it('grid: columns by depth, index order, centred', () => {
    const p = gridLayout(g, { layerSpacing: 10 });
    expect(Array.from(p)).toEqual([0, 0, 10, -1.5, 10, -0.5, 10, 0.5, 10, 1.5, 20, -1, 20, 0, 20, 1]);
  });

  it('sorted: most important on top', () => {
    const imp = [0, 0.1, 0.9, 0.5, 0.2, 0, 0, 1];
    const p = sortedLayout(g, imp, { layerSpacing: 10 });
    // conv order: 2, 3, 4, 1; fc order: 7, 5, 6
    expect([p[5], p[7], p[9], p[3]]).toEqual([-1.5, -0.5, 0.5, 1.5]);
    expect([p[15], p[11], p[13]]).toEqual([-1, 0, 1]);
  });

  it('Class MDS: alike nodes together, distances in proportion', () => {
    // conv nodes 1 and 2 prefer class 0, node 3 class 1, node 4 class 2 (vectors scaled: L2 normalization)
    const classImp = new Float32Array(8 * 3);
    classImp.set([5, 0, 0], 3);
    classImp.set([1, 0, 0], 6);
    classImp.set([0, 2, 0], 9);
    classImp.set([0, 0, 3], 12);
    const mapped = mdsLayout(g, classImp, 3, { layerSpacing: 10 });
    // in the conv layer's band, mapped back onto the unit disc
    const band = layerBands(g, { layerSpacing: 10 })[1];
    const p = mapped.map((v, i) => (i % 2 ? (v - band.cy) / band.hh : (v - band.cx) / band.hw));
    expect(dist(p, 1, 2)).toBeCloseTo(0, 5);
    // nodes 2, 3, 4 form an equilateral triangle (unit vectors on 3 axes)
    expect(dist(p, 2, 3)).toBeCloseTo(dist(p, 3, 4), 4);
    expect(dist(p, 2, 4)).toBeCloseTo(dist(p, 3, 4), 4);
    expect(dist(p, 2, 3)).toBeGreaterThan(0.5);
    // within the conv column's band, on its rim
    for (let n = 1; n <= 4; n++) expect(Math.hypot(p[2 * n], p[2 * n + 1])).toBeLessThan(1 + 1e-6);
    expect(Math.max(...[2, 3, 4].map((n) => Math.hypot(p[2 * n], p[2 * n + 1])))).toBeCloseTo(1, 5);
    for (let n = 1; n <= 4; n++) expect(Math.abs(mapped[2 * n] - 10)).toBeLessThan(5);
  });
});
