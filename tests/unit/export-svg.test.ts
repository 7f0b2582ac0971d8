// The circuit SVG export on the shipped fashion-small graph and a residual model: it parses as
// XML, draws one line per kept edge and one circle per drawn node (worked out here from the
// graph independently), escapes labels, fits every node in the viewBox, sizes PNGs to canvas limits.
import { describe, expect, it } from 'vitest';
import { DOMParser } from '@xmldom/xmldom';
import type { CircuitGraph } from '../../src/lib/graph/types';
import { gridLayout } from '../../src/lib/graph/layout';
import { circuitSvg } from '../../src/lib/export/svg';
import { pngSize, svgSize } from '../../src/lib/export/png';
import { escapeXml } from '../../src/lib/export/xml';
import { rng } from '../helpers/random';
import { fashionSmallGraph, residualGraph } from '../helpers/graphs';

/** XML parse collecting every warning and error (xmldom 0.8 reports them through errorHandler). */
function xmlProblems(text: string): { doc: Document; problems: string[] } {
  const problems: string[] = [];
  const errorHandler = (level: string, msg: string) => problems.push(`${level}: ${msg}`);
  const doc = new DOMParser({ errorHandler }).parseFromString(text, 'image/svg+xml') as unknown as Document;
  // xmldom is lenient where XML is not: check those rules by hand
  for (const m of text.matchAll(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g)) problems.push(`stray & at ${m.index}`);
  for (const m of text.matchAll(/="[^"]*</g)) problems.push(`< inside an attribute at ${m.index}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(text)) problems.push('a control character XML forbids');
  return { doc, problems };
}
/** Strict XML parse: any warning or error fails. */
function parseXml(text: string): Document {
  const { doc, problems } = xmlProblems(text);
  expect(problems).toEqual([]);
  return doc;
}

const elements = (doc: Document, tag: string) => Array.from(doc.getElementsByTagName(tag)) as Element[];
const inGroup = (doc: Document, cls: string, tag: string) => {
  const g = elements(doc, 'g').find((x) => x.getAttribute('class') === cls)!;
  return Array.from(g.getElementsByTagName(tag)) as Element[];
};

function randomCut(graph: CircuitGraph, seed: number, fraction: number) {
  const r = rng(seed);
  const kept = new Uint8Array(graph.edgeCount).map(() => (r() < fraction ? 1 : 0));
  const importance = new Float32Array(graph.edgeCount).map(() => r());
  return { kept, importance };
}

describe('circuitSvg', () => {
  it('(the XML check itself rejects unclosed tags, unknown entities and raw ampersands)', () => {
    for (const bad of ['<svg><g></svg>', '<svg>&foo;</svg>', '<svg><text>a & b</text></svg>', '<svg a="1" a="2"/>', '<svg a="<"/>', '<svg>\u0001</svg>'])
      expect(xmlProblems(bad).problems.length, bad).toBeGreaterThan(0);
  });

  const graph = fashionSmallGraph();
  const positions = gridLayout(graph);
  const label = (n: number) => `${graph.layers[graph.nodeLayer[n]].name}:${graph.nodeChannel[n]}`;

  it('is valid SVG 1.1 with one line per kept edge and one circle per node of the circuit and the target', () => {
    const { kept, importance } = randomCut(graph, 7, 0.1);
    const target = graph.layers.at(-1)!.nodeStart + 3;
    const svg = circuitSvg({ graph, positions, kept, importance, nodeLabel: label, title: 'Sandal circuit', targetNodes: [target] });
    const doc = parseXml(svg);
    const root = doc.documentElement;
    expect(root.tagName).toBe('svg');
    expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(root.getAttribute('version')).toBe('1.1');
    // no raster content, no scripts
    expect(elements(doc, 'image').length + elements(doc, 'script').length + elements(doc, 'foreignObject').length).toBe(0);

    const keptEdges = [...kept].map((k, e) => (k ? e : -1)).filter((e) => e >= 0);
    const lines = elements(doc, 'line');
    expect(lines.length).toBe(keptEdges.length);
    // every line joins the positions of a kept edge's ends
    const scale = 24;
    const key = (x1: number, y1: number, x2: number, y2: number) => [x1, y1, x2, y2].map((v) => Math.round(v * 10)).join(',');
    const expectedEnds = keptEdges.map((e) => {
      const s = graph.edgeSource[e], t = graph.edgeTarget[e];
      return key(positions[2 * s] * scale, positions[2 * s + 1] * scale, positions[2 * t] * scale, positions[2 * t + 1] * scale);
    }).sort();
    const drawnEnds = lines.map((l) => key(...(['x1', 'y1', 'x2', 'y2'].map((a) => Number(l.getAttribute(a))) as [number, number, number, number]))).sort();
    expect(drawnEnds).toEqual(expectedEnds);

    const nodes = new Set<number>([target]);
    for (const e of keptEdges) nodes.add(graph.edgeSource[e]).add(graph.edgeTarget[e]);
    const circles = elements(doc, 'circle');
    expect(circles.length).toBe(nodes.size);
    const circleTitles = circles.map((c) => c.getElementsByTagName('title')[0].textContent).sort();
    expect(circleTitles).toEqual([...nodes].map(label).sort());

    // title and layer names present
    expect(elements(doc, 'title')[0].textContent).toBe('Sandal circuit');
    const layerNames = inGroup(doc, 'layers', 'text').map((t) => t.textContent).join(' ');
    for (const n of nodes) expect(layerNames).toContain(graph.layers[graph.nodeLayer[n]].name);
  });

  it('fits every drawn node inside the viewBox, with a margin', () => {
    const { kept, importance } = randomCut(graph, 11, 0.05);
    const doc = parseXml(circuitSvg({ graph, positions, kept, importance, nodeLabel: label }));
    const [vx, vy, vw, vh] = doc.documentElement.getAttribute('viewBox')!.split(' ').map(Number);
    expect(vw).toBeGreaterThan(0);
    for (const c of elements(doc, 'circle')) {
      const cx = Number(c.getAttribute('cx')), cy = Number(c.getAttribute('cy')), r = Number(c.getAttribute('r'));
      expect(cx - r).toBeGreaterThan(vx);
      expect(cy - r).toBeGreaterThan(vy);
      expect(cx + r).toBeLessThan(vx + vw);
      expect(cy + r).toBeLessThan(vy + vh);
    }
    expect(svgSize(circuitSvg({ graph, positions, kept, importance, nodeLabel: label }))).toEqual({ width: vw, height: vh });
  });

  it('escapes labels and titles (markup in a label stays text)', () => {
    const nasty = `<script>alert(1)</script>&"'\u0001`;
    const kept = new Uint8Array(graph.edgeCount);
    kept[5] = 1;
    const svg = circuitSvg({ graph, positions, kept, importance: null, nodeLabel: (n) => `${nasty}${n}`, title: `<b>&"` });
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('<b>');
    const doc = parseXml(svg);
    expect(elements(doc, 'script').length).toBe(0);
    const texts = inGroup(doc, 'node-labels', 'text').map((t) => t.textContent);
    const clean = `<script>alert(1)</script>&"'`;
    expect(texts.sort()).toEqual([`${clean}${graph.edgeSource[5]}`, `${clean}${graph.edgeTarget[5]}`].sort());
    expect(elements(doc, 'title')[0].textContent).toBe('<b>&"');
    expect(escapeXml(`a<b>&"'`)).toBe('a&lt;b&gt;&amp;&quot;&apos;');
  });

  it('widens and darkens edges by importance and colours them by the sign of the kernel', () => {
    const kept = new Uint8Array(graph.edgeCount);
    const importance = new Float32Array(graph.edgeCount);
    const pos = [...graph.edgeSign].findIndex((s) => s > 0), neg = [...graph.edgeSign].findIndex((s) => s < 0);
    kept[pos] = kept[neg] = 1;
    importance[pos] = 0.9;
    importance[neg] = 0.1;
    const doc = parseXml(circuitSvg({ graph, positions, kept, importance, nodeLabel: label }));
    const lines = elements(doc, 'line');
    expect(lines.length).toBe(2);
    // least important first, so the important edge is drawn on top
    const [weak, strong] = lines;
    expect(Number(strong.getAttribute('stroke-width'))).toBeGreaterThan(Number(weak.getAttribute('stroke-width')));
    expect(Number(strong.getAttribute('stroke-opacity'))).toBeGreaterThan(Number(weak.getAttribute('stroke-opacity')));
    expect(strong.getAttribute('stroke')).toBe('#d6402e');
    expect(weak.getAttribute('stroke')).toBe('#266bd9');
    // an explicit sign array wins over the graph's
    const flipped = Int8Array.from(graph.edgeSign, (s) => -s);
    const doc2 = parseXml(circuitSvg({ graph, positions, kept, importance, nodeLabel: label, edgeSign: flipped }));
    expect(elements(doc2, 'line').map((l) => l.getAttribute('stroke'))).toEqual(['#d6402e', '#266bd9']);
  });

  it('draws the whole graph with onlyCircuit false and every edge with kept null', () => {
    const { kept, importance } = randomCut(graph, 3, 0.2);
    const whole = parseXml(circuitSvg({ graph, positions, kept, importance, nodeLabel: label, onlyCircuit: false }));
    expect(elements(whole, 'line').length).toBe(graph.edgeCount);
    expect(elements(whole, 'circle').length).toBe(graph.nodeCount);
    const faded = elements(whole, 'line').filter((l) => l.getAttribute('stroke') === '#cbd5e1').length;
    expect(faded).toBe(graph.edgeCount - kept.reduce((a, b) => a + b, 0));
    const all = parseXml(circuitSvg({ graph, positions, kept: null, importance: null, nodeLabel: label }));
    expect(elements(all, 'line').length).toBe(graph.edgeCount);
    const empty = parseXml(circuitSvg({ graph, positions, kept: new Uint8Array(graph.edgeCount), importance: null, nodeLabel: label }));
    expect(elements(empty, 'line').length + elements(empty, 'circle').length).toBe(0);
  });

  it('stacks layer names of a shared column (residual add) and handles junction edges', () => {
    const g = residualGraph();
    const doc = parseXml(circuitSvg({ graph: g, positions: gridLayout(g), kept: null, importance: null, nodeLabel: (n) => `n${n}` }));
    expect(elements(doc, 'line').length).toBe(g.edgeCount);
    expect(elements(doc, 'circle').length).toBe(g.nodeCount);
  });

  it('counts kernels only (not junction links) in the footer and the description', () => {
    const g = residualGraph();
    const junctions = g.edgeIsKernel.length - g.edgeIsKernel.reduce((a, b) => a + b, 0);
    expect(junctions).toBeGreaterThan(0);
    const { kept } = randomCut(g, 11, 0.6);
    for (let e = 0; e < g.edgeCount; e++) if (!g.edgeIsKernel[e]) kept[e] = 1; // every junction link kept
    const keptKernels = [...kept].filter((k, e) => k && g.edgeIsKernel[e]).length;
    const allKernels = g.edgeIsKernel.reduce((a, b) => a + b, 0);
    const footer = (doc: Document) => inGroup(doc, 'legend', 'text').at(-1)!.textContent;
    const only = parseXml(circuitSvg({ graph: g, positions: gridLayout(g), kept, importance: null, nodeLabel: (n) => `n${n}` }));
    expect(footer(only)).toMatch(new RegExp(`^${keptKernels} kernels, `));
    expect(elements(only, 'desc')[0].textContent).toMatch(new RegExp(`^${keptKernels} kernels .* a graph of ${allKernels} kernels`));
    const whole = parseXml(circuitSvg({ graph: g, positions: gridLayout(g), kept, importance: null, nodeLabel: (n) => `n${n}`, onlyCircuit: false }));
    expect(footer(whole)).toMatch(new RegExp(`^${keptKernels} of ${allKernels} kernels in the circuit`));
  });

  it('rejects inputs of the wrong size with a message naming them', () => {
    expect(() => circuitSvg({ graph, positions: new Float32Array(4), kept: null, importance: null, nodeLabel: label })).toThrow(/positions hold 2 nodes/);
    expect(() => circuitSvg({ graph, positions, kept: new Uint8Array(3), importance: null, nodeLabel: label })).toThrow(/kept has 3 entries/);
    expect(() => circuitSvg({ graph, positions, kept: null, importance: new Float32Array(1), nodeLabel: label })).toThrow(/importance has 1/);
    expect(() => circuitSvg({ graph, positions, kept: null, importance: null, nodeLabel: label, targetNodes: [graph.nodeCount] })).toThrow(/target node/);
  });
});

describe('PNG size', () => {
  it('uses the asked scale when the canvas fits', () => {
    expect(pngSize(400, 300, 2)).toEqual({ width: 800, height: 600, scale: 2 });
  });
  it('scales down uniformly to the side and area limits', () => {
    const side = pngSize(20000, 1000, 2);
    expect(side.width).toBeLessThanOrEqual(16384);
    expect(side.width / side.height).toBeCloseTo(20, 1);
    const area = pngSize(15000, 15000, 2);
    expect(area.width * area.height).toBeLessThanOrEqual(2 ** 28);
    expect(area.width).toBe(area.height);
  });
  it('rejects a bad scale and an SVG without a size', () => {
    expect(() => pngSize(10, 10, 0)).toThrow(/scale/);
    expect(() => svgSize('<p>hi</p>')).toThrow(/no <svg>/);
    expect(() => svgSize('<svg viewBox="0 0 0 5">')).toThrow(/width and height/);
    expect(svgSize('<svg viewBox="0 0 30 40">')).toEqual({ width: 30, height: 40 });
  });
});
