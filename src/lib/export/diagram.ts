// The circuit diagram as a standalone SVG document: only the kept units, each drawn as its
// picture (a feature visualization, embedded as a data: URI), each kept kernel as a small
// heatmap of its weights on its edge, edge width by score, columns by depth with layer names.

import type { CircuitGraph } from '../graph/types';
import { diverging } from '../ui/maps/colormaps';
import { escapeXml } from './xml';
import { DEFAULT_GEOMETRY, isUnit, layoutDiagram, planDiagram, type DiagramCaps, type DiagramLayout, type DiagramPlan } from './diagramPlan';

export { planDiagram, keptParts, type DiagramPlan, type DiagramCaps } from './diagramPlan';

/** A kernel's weights, row-major height x width. */
export interface DiagramKernel {
  weights: ArrayLike<number>;
  height: number;
  width: number;
}

export interface DiagramInput {
  graph: CircuitGraph;
  /** Per edge: 1 when in the circuit. */
  kept: Uint8Array;
  /** Per edge: the score normalized to [0, 1] (edge width). */
  importance: Float32Array;
  /** Sign of each kernel's sum (edge colour); default graph.edgeSign. */
  edgeSign?: Int8Array;
  targetNodes?: ArrayLike<number>;
  nodeLabel: (n: number) => string;
  /** A unit's picture as a data:image/png URI, or null (drawn as an empty frame). */
  picture: (n: number) => string | null;
  /** The weights of each drawn kernel edge (plan.kernels); an edge without any is drawn as a grey tile. */
  kernels: Map<number, DiagramKernel>;
  title?: string;
  subtitle?: string;
  /** What the pictures are, for the legend (e.g. "feature visualizations"). */
  pictureNote?: string;
  caps?: DiagramCaps;
  /** The plan already made (planDiagram with the same input), so the caller fetched only those kernels. */
  plan?: DiagramPlan;
}

const GEO = DEFAULT_GEOMETRY;
const HEAT = 24;
/** Kernels larger than this a side are averaged down to it. */
const HEAT_CELLS = 12;
const MARGIN = 28;
const HEADER = 78;
const LEGEND_H = 84;
/** Average advance of a character of the legend's 10.5 px text, px. */
const LEGEND_CHAR = 5.9;
const COLORS = { positive: '#c0392b', negative: '#2563eb', zero: '#8c949e', link: '#64748b', target: '#f59e0b', frame: '#cbd5e1', ink: '#0f172a', soft: '#475569' };

const num = (v: number) => (Math.round(v * 100) / 100).toString();
const rgb = (c: [number, number, number]) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/** The whole SVG document of a circuit diagram. */
export function circuitDiagramSvg(input: DiagramInput): string {
  const { graph } = input;
  const plan = input.plan ?? planDiagram(graph, input.kept, input.importance, input.targetNodes, input.caps);
  const layout = layoutDiagram(graph, plan);
  const frame = frameOf(input, plan, layout);
  return [
    ...header(input, plan, frame),
    ...layerNames(layout),
    ...edgePaths(input, plan, layout),
    ...kernelTiles(input, plan, layout),
    ...unitPictures(input, plan, layout),
    ...legend(input, frame),
    '</svg>',
  ].join('\n') + '\n';
}

interface Frame {
  x0: number;
  y0: number;
  width: number;
  height: number;
  legendY: number;
  title: string;
}

function frameOf(input: DiagramInput, plan: DiagramPlan, l: DiagramLayout): Frame {
  const title = input.title ?? 'Circuit diagram';
  const half = GEO.unit / 2 + 60; // room for labels either side of a picture
  const x0 = l.minX - half - MARGIN;
  const y0 = l.minY - MARGIN - HEADER - (plan.note ? 14 : 0);
  const legendText = Math.max(...legendLines(input).map((l) => l.length)) * LEGEND_CHAR;
  const longest = Math.max(title.length * 10.5, (input.subtitle ?? '').length * 6.2, (plan.note ?? '').length * 6.2, legendText, 470) + 2 * MARGIN;
  const width = Math.max(l.maxX + half + MARGIN - x0, 520, longest);
  const legendY = l.maxY + GEO.rowPitch / 2 + 12;
  return { x0, y0, width, height: legendY + LEGEND_H - y0, legendY, title };
}

function header(input: DiagramInput, plan: DiagramPlan, f: Frame): string[] {
  const units = plan.nodes.filter((n) => isUnit(input.graph, n)).length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" width="${num(f.width)}" height="${num(f.height)}" viewBox="${num(f.x0)} ${num(f.y0)} ${num(f.width)} ${num(f.height)}" font-family="Helvetica, Arial, sans-serif" data-kernels="${plan.kernels.length}" data-units="${units}" data-kept-kernels="${plan.keptKernels}" data-kept-units="${plan.keptUnits}">`,
    `<title>${escapeXml(f.title)}</title>`,
    `<desc>${escapeXml(`${plan.kernels.length} of ${plan.keptKernels} kept kernels and ${units} of ${plan.keptUnits} kept units drawn.`)}</desc>`,
    `<rect x="${num(f.x0)}" y="${num(f.y0)}" width="${num(f.width)}" height="${num(f.height)}" fill="#ffffff"/>`,
    `<text x="${num(f.x0 + MARGIN)}" y="${num(f.y0 + MARGIN + 10)}" font-size="18" font-weight="bold" fill="${COLORS.ink}">${escapeXml(f.title)}</text>`,
  ];
  if (input.subtitle) out.push(`<text x="${num(f.x0 + MARGIN)}" y="${num(f.y0 + MARGIN + 28)}" font-size="11" fill="${COLORS.soft}">${escapeXml(input.subtitle)}</text>`);
  if (plan.note) out.push(`<text class="cap-note" x="${num(f.x0 + MARGIN)}" y="${num(f.y0 + MARGIN + 44)}" font-size="11" font-style="italic" fill="#92400e">${escapeXml(plan.note)}</text>`);
  return out;
}

function layerNames(l: DiagramLayout): string[] {
  const out = ['<g class="layer-names" font-size="12" font-weight="bold" fill="#334155" text-anchor="middle">'];
  for (const n of l.layers) out.push(`<text x="${num(n.x)}" y="${num(n.y)}">${escapeXml(n.name)}</text>`);
  out.push('</g>');
  return out;
}

/** Ends of an edge: the right side of the source's picture to the left side of the target's. */
function ends(input: DiagramInput, l: DiagramLayout, e: number) {
  const s = l.position.get(input.graph.edgeSource[e])!, t = l.position.get(input.graph.edgeTarget[e])!;
  const h = GEO.unit / 2;
  return { x1: s.x + h, y1: s.y, x2: t.x - h, y2: t.y };
}

/** A point of the edge's curve (cubic, horizontal tangents at both ends) at parameter t. */
function curvePoint(p: { x1: number; y1: number; x2: number; y2: number }, t: number) {
  const u = 1 - t;
  const xm = (p.x1 + p.x2) / 2;
  const x = u * u * u * p.x1 + 3 * u * u * t * xm + 3 * u * t * t * xm + t * t * t * p.x2;
  const y = u * u * u * p.y1 + 3 * u * u * t * p.y1 + 3 * u * t * t * p.y2 + t * t * t * p.y2;
  return { x, y };
}

const importanceOf = (input: DiagramInput, e: number) => Math.min(1, Math.max(0, Number.isFinite(input.importance[e]) ? input.importance[e] : 0));

function edgePaths(input: DiagramInput, plan: DiagramPlan, l: DiagramLayout): string[] {
  const sign = input.edgeSign ?? input.graph.edgeSign;
  const out = ['<g class="edges" fill="none" stroke-linecap="round">'];
  const drawn = [...plan.kernels].sort((a, b) => importanceOf(input, a) - importanceOf(input, b) || a - b);
  for (const e of drawn) {
    const p = ends(input, l, e);
    const imp = importanceOf(input, e);
    const color = sign[e] > 0 ? COLORS.positive : sign[e] < 0 ? COLORS.negative : COLORS.zero;
    const xm = (p.x1 + p.x2) / 2;
    out.push(
      `<path data-edge="${e}" d="M ${num(p.x1)} ${num(p.y1)} C ${num(xm)} ${num(p.y1)} ${num(xm)} ${num(p.y2)} ${num(p.x2)} ${num(p.y2)}" stroke="${color}" stroke-width="${num(0.8 + 5.2 * imp)}" stroke-opacity="${num(0.35 + 0.55 * imp)}"/>`,
    );
  }
  for (const e of plan.links) {
    const p = ends(input, l, e);
    const xm = (p.x1 + p.x2) / 2;
    out.push(`<path class="link" data-edge="${e}" d="M ${num(p.x1)} ${num(p.y1)} C ${num(xm)} ${num(p.y1)} ${num(xm)} ${num(p.y2)} ${num(p.x2)} ${num(p.y2)}" stroke="${COLORS.link}" stroke-width="1.2" stroke-dasharray="4 3"/>`);
  }
  out.push('</g>');
  return out;
}

/** A kernel averaged down to at most HEAT_CELLS a side. */
function cellsOf(k: DiagramKernel): { values: Float64Array; rows: number; cols: number } {
  const rows = Math.min(k.height, HEAT_CELLS), cols = Math.min(k.width, HEAT_CELLS);
  const values = new Float64Array(rows * cols);
  const counts = new Float64Array(rows * cols);
  for (let y = 0; y < k.height; y++)
    for (let x = 0; x < k.width; x++) {
      const c = Math.floor((y * rows) / k.height) * cols + Math.floor((x * cols) / k.width);
      values[c] += k.weights[y * k.width + x];
      counts[c]++;
    }
  for (let c = 0; c < values.length; c++) values[c] /= counts[c] || 1;
  return { values, rows, cols };
}

/** Each drawn kernel as a heatmap of its weights (blue negative, white zero, red positive, scaled to its largest |weight|), on its edge. */
function kernelTiles(input: DiagramInput, plan: DiagramPlan, l: DiagramLayout): string[] {
  const out = ['<g class="kernels">'];
  // kernels into the same unit are spread along their edges (the topmost source's nearest its
  // source), so their tiles do not pile up where the edges converge
  const rank = new Map<number, number>();
  const seen = new Map<number, number>();
  const bySourceY = [...plan.kernels].sort((a, b) => l.position.get(input.graph.edgeSource[a])!.y - l.position.get(input.graph.edgeSource[b])!.y || a - b);
  for (const e of bySourceY) {
    const t = input.graph.edgeTarget[e];
    rank.set(e, seen.get(t) ?? 0);
    seen.set(t, (seen.get(t) ?? 0) + 1);
  }
  for (const e of plan.kernels) {
    const p = ends(input, l, e);
    const many = seen.get(input.graph.edgeTarget[e])!;
    const t = many > 1 ? 0.22 + (0.56 * rank.get(e)!) / (many - 1) : 0.5;
    const c = curvePoint(p, t);
    const x0 = c.x - HEAT / 2, y0 = c.y - HEAT / 2;
    const k = input.kernels.get(e);
    const from = input.nodeLabel(input.graph.edgeSource[e]), to = input.nodeLabel(input.graph.edgeTarget[e]);
    out.push(`<g class="kernel" data-edge="${e}"><title>${escapeXml(`kernel ${from} → ${to}${k ? `, ${k.height}×${k.width}` : ''}, importance ${importanceOf(input, e).toFixed(2)}`)}</title>`);
    out.push(`<rect x="${num(x0 - 1)}" y="${num(y0 - 1)}" width="${HEAT + 2}" height="${HEAT + 2}" fill="#ffffff" stroke="#475569" stroke-width="0.8"/>`);
    if (k && k.height * k.width > 0) {
      const { values, rows, cols } = cellsOf(k);
      let maxAbs = 0;
      for (const v of values) maxAbs = Math.max(maxAbs, Math.abs(v));
      const cw = HEAT / cols, ch = HEAT / rows;
      for (let y = 0; y < rows; y++)
        for (let x = 0; x < cols; x++) {
          const v = values[y * cols + x];
          out.push(`<rect x="${num(x0 + x * cw)}" y="${num(y0 + y * ch)}" width="${num(cw + 0.05)}" height="${num(ch + 0.05)}" fill="${rgb(diverging(maxAbs > 0 ? v / maxAbs : 0))}"/>`);
        }
    } else out.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${HEAT}" height="${HEAT}" fill="#e2e8f0"/>`);
    out.push('</g>');
  }
  out.push('</g>');
  return out;
}

/** Units as their pictures with their names under them; input channels and junctions as small labelled marks. */
function unitPictures(input: DiagramInput, plan: DiagramPlan, l: DiagramLayout): string[] {
  const { graph } = input;
  const targets = new Set(Array.from(input.targetNodes ?? []));
  const h = GEO.unit / 2;
  const out = ['<g class="units" font-size="10" fill="#1e293b" text-anchor="middle">'];
  for (const n of plan.nodes) {
    const p = l.position.get(n)!;
    const label = escapeXml(input.nodeLabel(n));
    if (!isUnit(graph, n)) {
      const junction = graph.layers[graph.nodeLayer[n]].kind === 'junction';
      out.push(`<g class="${junction ? 'junction' : 'input'}" data-node="${n}"><title>${label}</title>`);
      out.push(junction
        ? `<circle cx="${num(p.x)}" cy="${num(p.y)}" r="9" fill="#ffffff" stroke="#475569" stroke-width="1.2"/><text x="${num(p.x)}" y="${num(p.y + 4)}" font-size="13">+</text>`
        : `<rect x="${num(p.x - h)}" y="${num(p.y - h)}" width="${GEO.unit}" height="${GEO.unit}" rx="4" fill="#f1f5f9" stroke="#94a3b8"/><text x="${num(p.x)}" y="${num(p.y + 4)}">input</text>`);
      out.push(`<text x="${num(p.x)}" y="${num(p.y + (junction ? 22 : h + 12))}">${label}</text></g>`);
      continue;
    }
    const pic = input.picture(n);
    const target = targets.has(n);
    out.push(`<g class="unit" data-node="${n}"${target ? ' data-target="1"' : ''}><title>${label}</title>`);
    if (pic) out.push(`<image x="${num(p.x - h)}" y="${num(p.y - h)}" width="${GEO.unit}" height="${GEO.unit}" preserveAspectRatio="none" xlink:href="${escapeXml(pic)}"/>`);
    else out.push(`<rect class="no-picture" x="${num(p.x - h)}" y="${num(p.y - h)}" width="${GEO.unit}" height="${GEO.unit}" fill="#f8fafc"/>`);
    out.push(`<rect x="${num(p.x - h)}" y="${num(p.y - h)}" width="${GEO.unit}" height="${GEO.unit}" fill="none" stroke="${target ? COLORS.target : COLORS.frame}" stroke-width="${target ? 3 : 1}"/>`);
    out.push(`<text x="${num(p.x)}" y="${num(p.y + h + 12)}"${target ? ' font-weight="bold"' : ''}>${label}</text></g>`);
  }
  out.push('</g>');
  return out;
}

/** The legend's lines of text under its samples. */
function legendLines(input: DiagramInput): string[] {
  return [
    `Pictures: ${input.pictureNote ?? 'feature visualizations'}.`,
    'Columns: depth in the network; units ordered to shorten edges; the target outlined in orange.',
  ];
}

function legend(input: DiagramInput, f: Frame): string[] {
  let x = f.x0 + MARGIN;
  let y = f.legendY + 14;
  const out = ['<g class="legend" font-size="10.5" fill="#334155">'];
  const line = (color: string, w: number, text: string) => {
    out.push(`<path d="M ${num(x)} ${num(y)} h 24" stroke="${color}" stroke-width="${w}" stroke-linecap="round"/>`);
    out.push(`<text x="${num(x + 30)}" y="${num(y + 3.5)}">${escapeXml(text)}</text>`);
    x += 40 + text.length * 5.8;
  };
  line(COLORS.positive, 3, 'kernel sum > 0');
  line(COLORS.negative, 3, 'kernel sum < 0');
  line(COLORS.zero, 1, 'weak');
  line(COLORS.zero, 6, 'strong (width: score)');
  // the heatmap scale: five swatches from -1 to 1, on the next line when the line samples fill the width
  if (x + 300 > f.x0 + f.width) {
    x = f.x0 + MARGIN;
    y += 18;
  }
  for (let i = 0; i < 5; i++) out.push(`<rect x="${num(x + i * 9)}" y="${num(y - 5)}" width="9" height="10" fill="${rgb(diverging(-1 + i / 2))}" stroke="#94a3b8" stroke-width="0.3"/>`);
  out.push(`<text x="${num(x + 52)}" y="${num(y + 3.5)}">kernel weights: negative, zero, positive</text>`);
  legendLines(input).forEach((text, i) => out.push(`<text x="${num(f.x0 + MARGIN)}" y="${num(y + 22 + 16 * i)}" fill="#64748b">${escapeXml(text)}</text>`));
  out.push('</g>');
  return out;
}
