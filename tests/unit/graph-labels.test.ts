// Label placement: greedy by priority, no two placed boxes intersect, long names are elided in
// the middle (never wider than their room), layer names survive at the views the page fits,
// and the legend's colours and formulas are the ones the shaders draw with.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { elide, intersects, layerCentres, columnRoom, placeLabels, type LabelFont, type LabelRequest, type TextMeasure } from '../../src/lib/render/labels';
import { columnObstacles, labelRequests, NODE_LABEL_ZOOM, type LabelScene } from '../../src/lib/render/labelRequests';
import { EDGE_NEGATIVE, EDGE_POSITIVE, EDGE_ZERO, REMOVED_COLOR, NODE_IN_CIRCUIT, graphLegend, edgeWidthPx, edgeOpacity } from '../../src/lib/render/legend';
import { targetMarkOf } from '../../src/lib/render/targetOf';
import { fitView, FIT_MAX_ZOOM, FIT_PAD } from '../../src/lib/render/fit';
import { buildGraph } from '../../src/lib/graph/build';
import { gridLayout, mdsLayout } from '../../src/lib/graph/layout';
import type { CircuitGraph } from '../../src/lib/graph/types';
import { loadBuiltinModel, builtinModelNames } from '../../tools/node/builtin';
import { rng } from '../helpers/random';

/** A monospace stand-in for the canvas: 7 px per character (bold 7.5), 15 px lines. */
const mono: TextMeasure = { width: (t: string, f: LabelFont) => t.length * (f === 'node' ? 6.5 : 7.5), height: () => 15 };

function expectDisjoint(boxes: { x: number; y: number; w: number; h: number; text: string }[]): void {
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    expect(intersects(boxes[i], boxes[j]), `"${boxes[i].text}" and "${boxes[j].text}"`).toBe(false);
  }
}

describe('placeLabels', () => {
  it('random requests: placed boxes never intersect, stay in bounds, and higher priority wins a clash', () => {
    const r = rng(4);
    for (let round = 0; round < 20; round++) {
      const reqs: LabelRequest[] = Array.from({ length: 150 }, (_, i) => ({
        text: `label${i}`.repeat(1 + Math.floor(r() * 3)), font: 'node', priority: Math.floor(r() * 5),
        spots: [{ x: r() * 800, y: r() * 500, ax: r(), ay: r() }, { x: r() * 800, y: r() * 500, ax: 0, ay: 0.5 }],
      }));
      const placed = placeLabels(reqs, mono, { width: 800, height: 500 });
      expect(placed.length).toBeGreaterThan(10);
      expectDisjoint(placed);
      for (const p of placed) expect(p.x >= 0 && p.y >= 0 && p.x + p.w <= 800 && p.y + p.h <= 500).toBe(true);
    }
    // two requests on one spot: the higher priority one is placed, whatever the order
    const a: LabelRequest = { text: 'low', font: 'layer', priority: 1, spots: [{ x: 100, y: 100, ax: 0.5, ay: 0.5 }] };
    const b: LabelRequest = { text: 'high', font: 'layer', priority: 2, spots: [{ x: 100, y: 100, ax: 0.5, ay: 0.5 }] };
    expect(placeLabels([a, b], mono, { width: 400, height: 400 }).map((p) => p.text)).toEqual(['high']);
    // a second spot is used when the first is taken
    const c = { ...a, spots: [...a.spots, { x: 300, y: 300, ax: 0, ay: 0 }] };
    expect(placeLabels([c, b], mono, { width: 400, height: 400 }).map((p) => [p.text, p.x])).toEqual([['high', 85], ['low', 300]]);
  });

  it('elides, keeping more of the end, to the room given, and keeps the full text', () => {
    const w = (t: string) => t.length * 7;
    expect(elide('inc3a_3x3_reduce', 1000, w)).toBe('inc3a_3x3_reduce');
    const cut = elide('inc3a_3x3_reduce', 70, w)!;
    expect(cut.length).toBe(10);
    expect(cut).toBe('inc…reduce');
    // with a little more room the part that tells 3x3 from 5x5 stays
    expect(elide('inc3a_3x3_reduce', 91, w)).toBe('inc3…3_reduce');
    expect(w(cut)).toBeLessThanOrEqual(70);
    expect(elide('abcdef', 10, w)).toBeNull();
    const [p] = placeLabels([{ text: 'inc3a_3x3_reduce', font: 'layer', priority: 1, maxWidth: 60, spots: [{ x: 50, y: 50, ax: 0.5, ay: 1 }] }], mono, { width: 200, height: 200 });
    expect(p.full).toBe('inc3a_3x3_reduce');
    expect(p.text).toContain('…');
    expect(p.w).toBeLessThanOrEqual(60);
    // a request shown whole or not at all is dropped when too wide
    // tried whole first where there is room, elided where there is not
    const wide: LabelRequest = { text: 'inc3a_3x3_reduce', font: 'layer', priority: 1, maxWidth: 60, wholeFirst: true, spots: [{ x: 100, y: 50, ax: 0.5, ay: 1 }] };
    expect(placeLabels([wide], mono, { width: 200, height: 200 })[0].text).toBe('inc3a_3x3_reduce');
    const blocked = placeLabels([wide], mono, { width: 200, height: 200 }, 2, [{ x: 50, y: 20, w: 8, h: 40, layer: 5 }]);
    expect(blocked[0].text).toContain('…');
    expect(placeLabels([{ ...wide, layer: 5 }], mono, { width: 200, height: 200 }, 2, [{ x: 50, y: 20, w: 8, h: 40, layer: 5 }])[0].text).toBe('inc3a_3x3_reduce');
    expect(placeLabels([{ text: 'conv3_1:12', font: 'node', priority: 1, maxWidth: 30, whole: true, spots: [{ x: 50, y: 50, ax: 0, ay: 0 }] }], mono, { width: 200, height: 200 })).toEqual([]);
  });
});

/** The labels the scene would place for a graph fitted into a canvas of width x height (as fitTo('all') does). */
function fittedLabels(graph: CircuitGraph, positions: Float32Array, width: number, height: number, zoomFactor = 1, nodeLabel?: (n: number) => string) {
  const fit = fitView(positions, [...Array(graph.nodeCount).keys()], width, height)!;
  const zoom = fit.zoom * zoomFactor;
  const toScreen = (x: number, y: number) => ({ x: (x - fit.x) * zoom + width / 2, y: (y - fit.y) * zoom + height / 2 });
  const visible = [...Array(graph.nodeCount).keys()].filter((n) => {
    const s = toScreen(positions[2 * n], positions[2 * n + 1]);
    return s.x >= 0 && s.y >= 0 && s.x <= width && s.y <= height;
  });
  const scene: LabelScene = {
    graph, positions, zoom, width, height, toScreen, centres: layerCentres(graph, positions), room: columnRoom(graph, positions),
    radius: Math.min(12, Math.max(2.5, 0.32 * zoom)), lift: 8, visibleNodes: visible, nodeLabel,
    nodeState: () => 1, target: { kind: 'node', id: graph.nodeCount - 3, text: 'target: class 7' },
  };
  const obstacles = columnObstacles(scene);
  const placed = placeLabels(labelRequests(scene), mono, { width, height }, 2, obstacles);
  // no label covers the nodes of a layer it does not belong to
  for (const p of placed) for (const o of obstacles) if (o.layer !== p.layer) expect(intersects(p, o), `"${p.text}" over ${graph.layers[o.layer].name}`).toBe(false);
  return { zoom, placed };
}

describe('labels at the fitted view', () => {
  const sizes = [[1240, 640], [1880, 900], [900, 560]];
  for (const name of builtinModelNames()) {
    it(`${name}: every layer named, the target tagged, nothing overlapping (grid and Class MDS)`, () => {
      const g = buildGraph(loadBuiltinModel(name));
      const r = rng(2);
      const mds = mdsLayout(g, Float32Array.from({ length: g.nodeCount * 10 }, () => r() ** 4), 10);
      for (const positions of [gridLayout(g), mds]) {
        for (const [w, h] of sizes) {
          const { placed } = fittedLabels(g, positions, w, h);
          expectDisjoint(placed);
          const layers = new Set(placed.filter((p) => p.font === 'layer').map((p) => p.layer));
          expect(layers.size, `${w}x${h}: ${g.layers.filter((_, i) => !layers.has(i)).map((l) => l.name)}`).toBe(g.layers.length);
          expect(placed.filter((p) => p.font === 'tag').length).toBe(1);
        }
      }
    });
  }

  it('zoomed in, unit names appear where there is room, never overlapping, with the layer names kept', () => {
    const g = buildGraph(loadBuiltinModel('fashion-inception'));
    const positions = gridLayout(g);
    const label = (n: number) => `${g.layers[g.nodeLayer[n]].name}:${g.nodeChannel[n]}`;
    const { zoom, placed } = fittedLabels(g, positions, 1240, 640, 4, label);
    expect(zoom).toBeGreaterThan(NODE_LABEL_ZOOM);
    expectDisjoint(placed);
    expect(placed.filter((p) => p.font === 'node').length).toBeGreaterThan(20);
    expect(placed.filter((p) => p.font === 'layer').length).toBeGreaterThan(0);
    // at the fitted zoom there is no room for unit names: none are asked for
    expect(fittedLabels(g, positions, 1240, 640, 1, label).placed.filter((p) => p.font === 'node').length).toBe(0);
  });
});

describe('target marks and the legend', () => {
  const g = buildGraph(loadBuiltinModel('fashion-small'));
  const classes = loadBuiltinModel('fashion-small').classes;

  it('a class or a unit is a node ring; the loss or a direction frames a layer; unknown names mark nothing', () => {
    const out = g.layers.length - 1;
    expect(targetMarkOf(g, `logit:${classes[5]}`, { classes })).toEqual({ kind: 'node', id: g.layers[out].nodeStart + 5, text: `target: ${classes[5]}` });
    expect(targetMarkOf(g, 'prob:2', { classes })?.id).toBe(g.layers[out].nodeStart + 2);
    expect(targetMarkOf(g, 'loss', { classes })).toEqual({ kind: 'layer', id: out, text: 'target: loss' });
    const conv2 = g.layers.findIndex((l) => l.name === 'conv2');
    expect(targetMarkOf(g, 'node:conv2:3:max', { classes })).toEqual({ kind: 'node', id: g.layers[conv2].nodeStart + 3, text: 'target' });
    expect(targetMarkOf(g, 'node:relu2:3', { classes, layerOf: (n) => (n === 'relu2' ? conv2 : -1) })?.id).toBe(g.layers[conv2].nodeStart + 3);
    expect(targetMarkOf(g, 'direction:conv2:1,2', { classes })).toEqual({ kind: 'layer', id: conv2, text: 'target: direction' });
    for (const bad of ['logit:Nope', 'node:conv2:99', 'node:nope:1', 'what']) expect(targetMarkOf(g, bad, { classes })).toBeNull();
  });

  it('legend colours and formulas are the shaders\' own', () => {
    const edges = readFileSync(new URL('../../src/lib/render/edges.ts', import.meta.url), 'utf8');
    const nodes = readFileSync(new URL('../../src/lib/render/nodes.ts', import.meta.url), 'utf8');
    const lit = (c: { rgb: number[] }) => `(${c.rgb.join(', ')}`;
    for (const c of [EDGE_POSITIVE, EDGE_NEGATIVE, EDGE_ZERO, REMOVED_COLOR]) expect(edges).toContain(`vec3<f32>${lit(c)})`);
    expect(nodes).toContain(`vec4<f32>${lit(NODE_IN_CIRCUIT)}, 1.0)`);
    expect(edges).toContain('uWidth * (0.6 + 1.4 * v)');
    expect(edges).toContain('alpha = 0.3 + 0.65 * v');
    expect(edgeWidthPx(1)).toBeCloseTo(2, 9);
    expect(edgeOpacity(0)).toBeCloseTo(0.3, 9);
    const legend = graphLegend();
    expect(legend.map((s) => s.title)).toEqual(['Kernels (edges)', 'Filters (nodes)']);
    expect(legend[0].entries.some((e) => e.color === EDGE_POSITIVE.css && /red/.test(e.label))).toBe(true);
    expect(legend[0].entries.some((e) => e.color === EDGE_NEGATIVE.css && /blue/.test(e.label))).toBe(true);
    expect(legend[1].entries.some((e) => /target/.test(e.label))).toBe(true);
  });
});

describe('fitView', () => {
  it('frames the given nodes: their box centred, as large as the canvas allows, not closer than the cap', () => {
    const pos = Float32Array.from([0, 0, 10, -5, 20, 5, 100, 0]);
    const v = fitView(pos, [0, 1, 2], 1000, 500)!;
    expect([v.x, v.y]).toEqual([10, 0]);
    expect(v.zoom).toBeCloseTo(Math.min((1000 - 2 * FIT_PAD.x) / 20, (500 - 2 * FIT_PAD.y) / 10), 9);
    // every framed node lands inside the padded canvas
    for (const n of [0, 1, 2]) {
      const sx = (pos[2 * n] - v.x) * v.zoom + 500, sy = (pos[2 * n + 1] - v.y) * v.zoom + 250;
      expect(sx >= FIT_PAD.x - 1e-6 && sx <= 1000 - FIT_PAD.x + 1e-6 && sy >= FIT_PAD.y - 1e-6 && sy <= 500 - FIT_PAD.y + 1e-6).toBe(true);
    }
    expect(fitView(pos, [3], 1000, 500)).toEqual({ x: 100, y: 0, zoom: FIT_MAX_ZOOM });
    expect(fitView(pos, [], 1000, 500)).toBeNull();
    expect(fitView(pos, [-1, 9], 1000, 500)).toBeNull();
  });
});
