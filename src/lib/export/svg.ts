// A circuit as a standalone SVG 1.1 document: kernels as lines (width and opacity by
// importance, colour by the sign of the kernel's sum), filters as labelled circles, layer
// names along the top, a title and a legend; vector only, with a viewBox fitted to what is drawn.

import type { CircuitGraph } from '../graph/types';
import { escapeXml } from './xml';

export interface CircuitSvgInput {
  graph: CircuitGraph;
  /** x, y per node in the renderer's world units (neighbouring nodes of a column are 1 apart). */
  positions: Float32Array;
  /** Per edge: 1 when in the circuit; null: every edge is. */
  kept: Uint8Array | null;
  /** Per edge, 0..1; null: every drawn edge at full weight. */
  importance: Float32Array | null;
  nodeLabel: (n: number) => string;
  title?: string;
  /** Default true: only kept edges and their nodes (and the target's); false: the whole graph, the circuit emphasized. */
  onlyCircuit?: boolean;
  /** Sign of each kernel's sum; default graph.edgeSign. */
  edgeSign?: Int8Array;
  /** Nodes always drawn (the target's), outlined. */
  targetNodes?: ArrayLike<number>;
  /** A second line under the title (settings, image set). */
  subtitle?: string;
}

/** SVG user units per world unit: neighbouring nodes are this far apart. */
export const SVG_UNIT = 24;
const NODE_R = 0.32 * SVG_UNIT;
const MARGIN = 24;
const HEADER = 64;
const LEGEND_H = 44;
const LABEL_FONT = 9;

const COLORS = { positive: '#d6402e', negative: '#266bd9', zero: '#8c949e', node: '#334155', target: '#f59e0b', faded: '#cbd5e1' };

const num = (v: number) => (Math.round(v * 100) / 100).toString();

function checkInput(input: CircuitSvgInput): void {
  const { graph, positions, kept, importance } = input;
  if (positions.length < graph.nodeCount * 2) throw new RangeError(`positions hold ${positions.length / 2} nodes, the graph has ${graph.nodeCount}`);
  if (kept && kept.length !== graph.edgeCount) throw new RangeError(`kept has ${kept.length} entries, the graph has ${graph.edgeCount} edges`);
  if (importance && importance.length !== graph.edgeCount) throw new RangeError(`importance has ${importance.length} entries, the graph has ${graph.edgeCount} edges`);
  const sign = input.edgeSign;
  if (sign && sign.length !== graph.edgeCount) throw new RangeError(`edgeSign has ${sign.length} entries, the graph has ${graph.edgeCount} edges`);
  for (const t of Array.from(input.targetNodes ?? []))
    if (!(Number.isInteger(t) && t >= 0 && t < graph.nodeCount)) throw new RangeError(`target node ${t} is not a node of the graph (0..${graph.nodeCount - 1})`);
}

/** What an export draws: which edges (in drawing order, least important first) and which nodes. */
export function drawnParts(input: CircuitSvgInput): { edges: number[]; circuitEdges: Set<number>; nodes: number[] } {
  const { graph, kept, importance } = input;
  const onlyCircuit = input.onlyCircuit ?? true;
  const inCircuit = (e: number) => !kept || kept[e] === 1;
  const edges: number[] = [];
  const circuitEdges = new Set<number>();
  const nodeOn = new Uint8Array(graph.nodeCount);
  for (let e = 0; e < graph.edgeCount; e++) {
    const c = inCircuit(e);
    if (c) circuitEdges.add(e);
    if (!c && onlyCircuit) continue;
    edges.push(e);
    if (c || !onlyCircuit) {
      nodeOn[graph.edgeSource[e]] = 1;
      nodeOn[graph.edgeTarget[e]] = 1;
    }
  }
  if (!onlyCircuit) nodeOn.fill(1);
  for (const t of Array.from(input.targetNodes ?? [])) nodeOn[t] = 1;
  const weight = (e: number) => (circuitEdges.has(e) ? 1 : 0) + (importance ? importance[e] || 0 : 1);
  edges.sort((a, b) => weight(a) - weight(b) || a - b);
  const nodes: number[] = [];
  for (let n = 0; n < graph.nodeCount; n++) if (nodeOn[n]) nodes.push(n);
  return { edges, circuitEdges, nodes };
}

/** Kernel edges (junction links of an add are edges, not kernels) among `edges`, or in the whole graph. */
export function kernelCount(graph: CircuitGraph, edges?: Iterable<number>): number {
  const isKernel = (e: number) => graph.layers[graph.edgeLayer[e]].kind !== 'junction';
  let n = 0;
  if (edges) for (const e of edges) n += isKernel(e) ? 1 : 0;
  else for (let e = 0; e < graph.edgeCount; e++) n += isKernel(e) ? 1 : 0;
  return n;
}

/** Where things go: the drawn nodes' extent in SVG units, the document's viewBox, and each node's label. */
interface SvgFrame {
  minY: number;
  maxY: number;
  x0: number;
  y0: number;
  width: number;
  height: number;
  title: string;
  labels: Map<number, string>;
}

/** Everything a part of the document is drawn from. */
interface SvgParts {
  input: CircuitSvgInput;
  edges: number[];
  circuitEdges: Set<number>;
  nodes: number[];
  frame: SvgFrame;
}

export function circuitSvg(input: CircuitSvgInput): string {
  checkInput(input);
  const { edges, circuitEdges, nodes } = drawnParts(input);
  const parts: SvgParts = { input, edges, circuitEdges, nodes, frame: svgFrame(input, nodes) };
  const out = [
    ...documentHeader(parts),
    ...layerNames(parts),
    ...edgeLines(parts),
    ...nodeCircles(parts),
    ...nodeLabels(parts),
    ...legend(parts),
    '</svg>',
  ];
  return out.join('\n') + '\n';
}

/** Bounds of the drawn nodes in SVG units; labels extend to the right of each node. */
function svgFrame(input: CircuitSvgInput, nodes: number[]): SvgFrame {
  const { positions, nodeLabel } = input;
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  const labels = new Map<number, string>();
  let longestLabel = 0;
  for (const n of nodes) {
    const x = positions[2 * n] * SVG_UNIT, y = positions[2 * n + 1] * SVG_UNIT;
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`node ${n} has no finite position`);
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    const l = String(nodeLabel(n));
    labels.set(n, l);
    longestLabel = Math.max(longestLabel, l.length);
  }
  if (!nodes.length) minX = maxX = minY = maxY = 0;
  const labelRoom = NODE_R + 3 + longestLabel * LABEL_FONT * 0.6;
  const title = input.title ?? 'Circuit';
  const x0 = minX - NODE_R - MARGIN;
  const y0 = minY - NODE_R - MARGIN - HEADER;
  const contentW = maxX + labelRoom + MARGIN - x0;
  const width = Math.max(contentW, 360, title.length * 9 + 2 * MARGIN);
  const height = maxY + NODE_R + MARGIN + LEGEND_H - y0;
  return { minY, maxY, x0, y0, width, height, title, labels };
}

/** The XML declaration, the svg element, title and description, the white background, the visible title and subtitle. */
function documentHeader({ input, circuitEdges, nodes, frame }: SvgParts): string[] {
  const { x0, y0, width, height, title } = frame;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8" standalone="no"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${num(width)}" height="${num(height)}" viewBox="${num(x0)} ${num(y0)} ${num(width)} ${num(height)}" font-family="Helvetica, Arial, sans-serif">`,
  );
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<desc>${escapeXml(`${kernelCount(input.graph, circuitEdges)} kernels and ${nodes.length} filters drawn from a graph of ${kernelCount(input.graph)} kernels. Node positions in world units times ${SVG_UNIT}.`)}</desc>`);
  out.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${num(width)}" height="${num(height)}" fill="#ffffff"/>`);
  out.push(`<text x="${num(x0 + MARGIN)}" y="${num(y0 + MARGIN + 8)}" font-size="16" font-weight="bold" fill="#0f172a">${escapeXml(title)}</text>`);
  if (input.subtitle) out.push(`<text x="${num(x0 + MARGIN)}" y="${num(y0 + MARGIN + 24)}" font-size="10" fill="#475569">${escapeXml(input.subtitle)}</text>`);
  return out;
}

/** Layer names along the top, one per column (layers sharing a column joined). */
function layerNames({ input, nodes, frame }: SvgParts): string[] {
  const { graph, positions } = input;
  const columns = new Map<number, string[]>();
  const drawnLayers = new Set(nodes.map((n) => graph.nodeLayer[n]));
  for (const l of drawnLayers) {
    const g = graph.layers[l];
    const xs = nodes.filter((n) => graph.nodeLayer[n] === l).map((n) => positions[2 * n] * SVG_UNIT);
    const x = Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    (columns.get(x) ?? columns.set(x, []).get(x)!).push(g.name);
  }
  const out = ['<g class="layers" font-size="11" fill="#334155" text-anchor="middle">'];
  for (const [x, names] of columns) out.push(`<text x="${num(x)}" y="${num(frame.minY - NODE_R - 12)}">${escapeXml(names.join(' / '))}</text>`);
  out.push('</g>');
  return out;
}

/** Kernels as lines: colour by sign, width and opacity by importance; edges outside the circuit faded. */
function edgeLines({ input, edges, circuitEdges }: SvgParts): string[] {
  const { graph, positions, importance } = input;
  const sign = input.edgeSign ?? graph.edgeSign;
  const out = ['<g class="edges" stroke-linecap="round">'];
  for (const e of edges) {
    const s = graph.edgeSource[e], t = graph.edgeTarget[e];
    const inC = circuitEdges.has(e);
    const imp = importance ? Math.min(1, Math.max(0, importance[e] || 0)) : 1;
    const color = !inC ? COLORS.faded : sign[e] > 0 ? COLORS.positive : sign[e] < 0 ? COLORS.negative : COLORS.zero;
    const w = inC ? 0.6 + 3.4 * imp : 0.5;
    const op = inC ? 0.3 + 0.7 * imp : 0.35;
    out.push(
      `<line x1="${num(positions[2 * s] * SVG_UNIT)}" y1="${num(positions[2 * s + 1] * SVG_UNIT)}" x2="${num(positions[2 * t] * SVG_UNIT)}" y2="${num(positions[2 * t + 1] * SVG_UNIT)}" stroke="${color}" stroke-width="${num(w)}" stroke-opacity="${num(op)}"/>`,
    );
  }
  out.push('</g>');
  return out;
}

/** Filters as circles, the target's larger and in the target colour, each with its label as a tooltip. */
function nodeCircles({ input, nodes, frame }: SvgParts): string[] {
  const { positions } = input;
  const targets = new Set(Array.from(input.targetNodes ?? []));
  const out = [`<g class="nodes" stroke="#ffffff" stroke-width="1.5">`];
  for (const n of nodes) {
    const target = targets.has(n);
    out.push(
      `<circle cx="${num(positions[2 * n] * SVG_UNIT)}" cy="${num(positions[2 * n + 1] * SVG_UNIT)}" r="${num(target ? NODE_R * 1.3 : NODE_R)}" fill="${target ? COLORS.target : COLORS.node}"><title>${escapeXml(frame.labels.get(n)!)}</title></circle>`,
    );
  }
  out.push('</g>');
  return out;
}

/** Labels over a white halo (the same text stroked first), so crossing edges do not hide them. */
function nodeLabels({ input, nodes, frame }: SvgParts): string[] {
  const { positions } = input;
  const labelAt = (n: number) => `x="${num(positions[2 * n] * SVG_UNIT + NODE_R + 3)}" y="${num(positions[2 * n + 1] * SVG_UNIT + LABEL_FONT * 0.35)}"`;
  const out = [`<g class="node-label-halos" font-size="${LABEL_FONT}" fill="none" stroke="#ffffff" stroke-width="3" stroke-linejoin="round" stroke-opacity="0.85">`];
  for (const n of nodes) out.push(`<text ${labelAt(n)}>${escapeXml(frame.labels.get(n)!)}</text>`);
  out.push('</g>');
  out.push(`<g class="node-labels" font-size="${LABEL_FONT}" fill="#1e293b">`);
  for (const n of nodes) out.push(`<text ${labelAt(n)}>${escapeXml(frame.labels.get(n)!)}</text>`);
  out.push('</g>');
  return out;
}

/** Legend: sign colours and importance widths, as short line samples (no circles, so every circle is a node), and the counts. */
function legend({ input, circuitEdges, nodes, frame }: SvgParts): string[] {
  const ly = frame.maxY + NODE_R + MARGIN + 12;
  let lx = frame.x0 + MARGIN;
  const out = ['<g class="legend" font-size="10" fill="#334155">'];
  const sample = (color: string, w: number, op: number, text: string) => {
    out.push(`<path d="M ${num(lx)} ${num(ly)} h 22" stroke="${color}" stroke-width="${num(w)}" stroke-opacity="${num(op)}" stroke-linecap="round"/>`);
    out.push(`<text x="${num(lx + 28)}" y="${num(ly + 3.5)}">${escapeXml(text)}</text>`);
    lx += 36 + text.length * 5.6;
  };
  sample(COLORS.positive, 3, 1, 'kernel sum > 0');
  sample(COLORS.negative, 3, 1, 'kernel sum < 0');
  sample(COLORS.zero, 1, 0.4, 'low importance');
  sample(COLORS.zero, 4, 1, 'high importance');
  if (input.onlyCircuit === false) sample(COLORS.faded, 1.5, 0.8, 'not in the circuit');
  const kernels = kernelCount(input.graph, circuitEdges);
  const counts = input.onlyCircuit === false ? `${kernels} of ${kernelCount(input.graph)} kernels in the circuit, ${nodes.length} filters` : `${kernels} kernels, ${nodes.length} filters`;
  out.push(`<text x="${num(frame.x0 + MARGIN)}" y="${num(ly + 20)}" fill="#64748b">${escapeXml(counts)}</text>`);
  out.push('</g>');
  return out;
}
