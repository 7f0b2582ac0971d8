// The circuit diagram export: one picture per kept unit and one kernel heatmap per kept kernel,
// matching the kept set; the heatmap cells are the kernel's weights in the diverging scale; the
// cap draws the strongest kernels and says so; the layout puts layers in columns by depth and
// orders units so edges cross less than in channel order; the document is well-formed XML.

import { describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import type { CircuitGraph } from '../../src/lib/graph/types';
import { circuitDiagramSvg, keptParts, planDiagram, type DiagramKernel } from '../../src/lib/export/diagram';
import { layoutDiagram } from '../../src/lib/export/diagramPlan';
import { diverging } from '../../src/lib/ui/maps/colormaps';
import { rng } from '../helpers/random';
import { fashionSmallGraph, residualGraph } from '../helpers/graphs';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

/** A random circuit: each kernel kept with probability p, random importances and 3x3 kernels. */
function randomCircuit(graph: CircuitGraph, p: number, seed: number) {
  const r = rng(seed);
  const kept = new Uint8Array(graph.edgeCount).map(() => (r() < p ? 1 : 0));
  const importance = new Float32Array(graph.edgeCount).map(() => r());
  const kernels = new Map<number, DiagramKernel>();
  for (let e = 0; e < graph.edgeCount; e++) kernels.set(e, { weights: Float32Array.from({ length: 9 }, () => r() * 2 - 1), height: 3, width: 3 });
  return { kept, importance, kernels };
}

function parse(svg: string) {
  const errors: string[] = [];
  const errorHandler = { warning: () => {}, error: (m: string) => errors.push(m), fatalError: (m: string) => errors.push(m) };
  const doc = new DOMParser({ errorHandler }).parseFromString(svg, 'image/svg+xml');
  expect(errors).toEqual([]);
  const all = (tag: string) => Array.from(doc.getElementsByTagName(tag));
  return { doc, all };
}

const dataOf = (els: Element[], cls: string, attr: string) => els.filter((g) => g.getAttribute('class') === cls).map((g) => Number(g.getAttribute(attr))).sort((a, b) => a - b);

describe('circuit diagram', () => {
  it('draws one picture per kept unit and one heatmap per kept kernel (no cap)', () => {
    const graph = fashionSmallGraph();
    const seed = Math.floor(Math.random() * 1e6);
    const c = randomCircuit(graph, 0.01, seed);
    const { kernels, units } = keptParts(graph, c.kept);
    const svg = circuitDiagramSvg({ graph, ...c, nodeLabel: (n) => `n${n}`, picture: () => PNG, caps: { maxKernels: 1e6, maxUnitsPerLayer: 1e6 } });
    const { all } = parse(svg);
    const images = all('image');
    expect(images.length).toBe(units.length);
    const groups = all('g');
    expect(dataOf(groups, 'unit', 'data-node')).toEqual(units);
    expect(dataOf(groups, 'kernel', 'data-edge')).toEqual(kernels);
    expect(svg).not.toContain('cap-note');
    for (const im of images) expect(im.getAttribute('xlink:href')).toBe(PNG);
  });

  it('colours each heatmap cell by its weight, scaled to the largest |weight|', () => {
    const graph = fashionSmallGraph();
    const kept = new Uint8Array(graph.edgeCount);
    const e = graph.kernelLayers[1].edgeStart + 5;
    kept[e] = 1;
    const r = rng(Math.floor(Math.random() * 1e6));
    const w = Float32Array.from({ length: 9 }, () => r() * 2 - 1);
    const maxAbs = Math.max(...Array.from(w, Math.abs));
    const svg = circuitDiagramSvg({ graph, kept, importance: new Float32Array(graph.edgeCount), nodeLabel: String, picture: () => PNG, kernels: new Map([[e, { weights: w, height: 3, width: 3 }]]) });
    const { all } = parse(svg);
    const g = all('g').find((x) => x.getAttribute('class') === 'kernel')!;
    const cells = Array.from(g.getElementsByTagName('rect')).slice(1);
    expect(cells.length).toBe(9);
    const hex = (c: number[]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    cells.forEach((cell, i) => expect(cell.getAttribute('fill')).toBe(hex(diverging(w[i] / maxAbs))));
  });

  it('with a cap, draws the strongest kernels and says how many of how many', () => {
    const graph = fashionSmallGraph();
    const c = randomCircuit(graph, 0.15, 11);
    const { kernels } = keptParts(graph, c.kept);
    expect(kernels.length).toBeGreaterThan(40);
    const plan = planDiagram(graph, c.kept, c.importance, [], { maxKernels: 40, maxUnitsPerLayer: 1e6 });
    expect(plan.kernels.length).toBe(40);
    const weakestShown = Math.min(...plan.kernels.map((e) => c.importance[e]));
    for (const e of kernels) if (!plan.kernels.includes(e)) expect(c.importance[e]).toBeLessThanOrEqual(weakestShown);
    const svg = circuitDiagramSvg({ graph, ...c, plan, nodeLabel: String, picture: () => PNG });
    const { all } = parse(svg);
    expect(dataOf(all('g'), 'kernel', 'data-edge')).toEqual(plan.kernels);
    expect(svg).toContain(`showing the 40 strongest of ${kernels.length} kernels`);
    const drawnUnits = new Set(plan.kernels.flatMap((e) => [graph.edgeSource[e], graph.edgeTarget[e]]).filter((n) => graph.layers[graph.nodeLayer[n]].kind === 'kernels'));
    expect(all('image').length).toBe(drawnUnits.size);
  });

  it('caps units per layer, keeping the target', () => {
    const graph = fashionSmallGraph();
    const c = randomCircuit(graph, 0.2, 5);
    const target = graph.layers[graph.kernelLayers[1].graphLayer].nodeStart;
    const plan = planDiagram(graph, c.kept, c.importance, [target], { maxKernels: 1e6, maxUnitsPerLayer: 4 });
    const perLayer = new Map<number, number>();
    for (const n of plan.nodes) if (graph.layers[graph.nodeLayer[n]].kind === 'kernels') perLayer.set(graph.nodeLayer[n], (perLayer.get(graph.nodeLayer[n]) ?? 0) + 1);
    for (const count of perLayer.values()) expect(count).toBeLessThanOrEqual(4);
    expect(plan.nodes).toContain(target);
    expect(plan.note).toMatch(/units/);
  });

  it('puts layers in columns by depth and shortens edges against channel order', () => {
    const graph = fashionSmallGraph();
    const c = randomCircuit(graph, 0.08, 3);
    const plan = planDiagram(graph, c.kept, c.importance, [], { maxKernels: 80, maxUnitsPerLayer: 10 });
    const layout = layoutDiagram(graph, plan);
    for (const e of plan.kernels) {
      const s = layout.position.get(graph.edgeSource[e])!, t = layout.position.get(graph.edgeTarget[e])!;
      expect(t.x).toBeGreaterThan(s.x);
    }
    const length = (pos: (n: number) => number) => plan.kernels.reduce((a, e) => a + Math.abs(pos(graph.edgeSource[e]) - pos(graph.edgeTarget[e])), 0);
    // channel order: the same slots, filled in node order
    const slots = new Map<number, number[]>();
    for (const n of plan.nodes) (slots.get(graph.nodeLayer[n]) ?? slots.set(graph.nodeLayer[n], []).get(graph.nodeLayer[n])!).push(n);
    const channelY = new Map<number, number>();
    for (const nodes of slots.values()) {
      const ys = nodes.map((n) => layout.position.get(n)!.y).sort((a, b) => a - b);
      nodes.forEach((n, k) => channelY.set(n, ys[k]));
    }
    expect(length((n) => layout.position.get(n)!.y)).toBeLessThanOrEqual(length((n) => channelY.get(n)!));
    expect(layout.layers.map((l) => l.name)).toEqual(expect.arrayContaining(['conv1', 'conv2']));
  });

  it('draws a residual add as a junction with its links', () => {
    const graph = residualGraph();
    const kept = new Uint8Array(graph.edgeCount).fill(1);
    const importance = new Float32Array(graph.edgeCount).fill(0.5);
    const svg = circuitDiagramSvg({ graph, kept, importance, nodeLabel: (n) => `n${n}`, picture: () => PNG, kernels: new Map() });
    const { all } = parse(svg);
    const junctions = all('g').filter((g) => g.getAttribute('class') === 'junction');
    expect(junctions.length).toBe(2);
    expect(all('path').filter((p) => p.getAttribute('class') === 'link').length).toBe(4);
    const { units } = keptParts(graph, kept);
    expect(all('image').length).toBe(units.length);
  });

  it('escapes labels and refuses mismatched arrays', () => {
    const graph = fashionSmallGraph();
    const c = randomCircuit(graph, 0.01, 9);
    const svg = circuitDiagramSvg({ graph, ...c, nodeLabel: () => '<b>&"', picture: () => null, title: 'a < b' });
    parse(svg);
    expect(svg).toContain('&lt;b&gt;&amp;&quot;');
    expect(svg).toContain('class="no-picture"');
    expect(() => planDiagram(graph, new Uint8Array(3), c.importance)).toThrow(/kept has 3 entries/);
  });
});
