// What the graph's colours, widths and fading mean, as data the page's legend renders: the same
// colours and formulas the edge and node shaders use (edges.ts, nodes.ts; a unit test holds
// them equal), so the legend cannot drift from the drawing.

export interface LegendColor {
  /** Linear 0..1 channels as the shaders write them. */
  rgb: [number, number, number];
  css: string;
  hex: number;
}

function color(r: number, g: number, b: number): LegendColor {
  const to = (v: number) => Math.round(v * 255);
  const hex = (to(r) << 16) | (to(g) << 8) | to(b);
  return { rgb: [r, g, b], css: `#${hex.toString(16).padStart(6, '0')}`, hex };
}

export const EDGE_POSITIVE = color(0.84, 0.25, 0.18);
export const EDGE_NEGATIVE = color(0.15, 0.42, 0.85);
export const EDGE_ZERO = color(0.55, 0.58, 0.62);
export const REMOVED_COLOR = color(0.58, 0.2, 0.75);
export const NODE_IN_CIRCUIT = color(0.16, 0.19, 0.24);
export const NODE_FADED_COLOR = color(0.62, 0.66, 0.72);
export const NODE_SELECTED_COLOR = color(0.96, 0.55, 0.05);
export const NODE_HIGHLIGHT_COLOR = color(0.11, 0.31, 0.85);
/** The target's ring (a node) or bracket (a layer); no shader draws it. */
export const TARGET_COLOR = color(0.05, 0.58, 0.53);

/** Edge width in pixels for importance v in [0, 1] (the shader's `uWidth * (0.6 + 1.4 * v)`, uWidth = 1). */
export const edgeWidthPx = (v: number) => 0.6 + 1.4 * Math.min(1, Math.max(0, v));
/** Opacity of an edge of the circuit with importance v (the shader's `0.3 + 0.65 * v`). */
export const edgeOpacity = (v: number) => 0.3 + 0.65 * Math.min(1, Math.max(0, v));
/** Opacity of an edge outside the circuit (0 where faded edges are hidden). */
export const FADED_EDGE_OPACITY = 0.07;

export interface LegendEntry {
  /** What is drawn: a line (edge), a disc or ring (node), a frame (the target layer). */
  shape: 'line' | 'disc' | 'ring' | 'frame';
  color: string;
  /** Line width (px) for lines, rings and frames. */
  width?: number;
  opacity?: number;
  dashed?: boolean;
  label: string;
}

export interface LegendSection {
  title: string;
  entries: LegendEntry[];
}

/** The legend of the live graph: colour, width and fading of edges, node states, the target. */
export function graphLegend(): LegendSection[] {
  return [
    {
      title: 'Kernels (edges)',
      entries: [
        { shape: 'line', color: EDGE_POSITIVE.css, width: 2, opacity: 0.9, label: 'red: the kernel’s weights sum above zero (it passes its input on, excitatory)' },
        { shape: 'line', color: EDGE_NEGATIVE.css, width: 2, opacity: 0.9, label: 'blue: the weights sum below zero (it inverts its input, inhibitory)' },
        { shape: 'line', color: EDGE_ZERO.css, width: 2, opacity: 0.9, label: 'grey: the weights sum to zero (a junction link is always red)' },
        { shape: 'line', color: EDGE_POSITIVE.css, width: edgeWidthPx(1), opacity: edgeOpacity(1), label: 'thick and solid: high importance for the target' },
        { shape: 'line', color: EDGE_POSITIVE.css, width: edgeWidthPx(0), opacity: edgeOpacity(0), label: 'thin and pale: low importance, still in the circuit' },
        { shape: 'line', color: EDGE_ZERO.css, width: edgeWidthPx(0), opacity: FADED_EDGE_OPACITY * 3, label: 'faint: outside the circuit (hidden on a software renderer with many edges)' },
        { shape: 'line', color: REMOVED_COLOR.css, width: 1.5, opacity: 0.9, dashed: true, label: 'purple dashes: removed by ablation' },
      ],
    },
    {
      title: 'Filters (nodes)',
      entries: [
        { shape: 'disc', color: NODE_IN_CIRCUIT.css, label: 'dark: in the circuit' },
        { shape: 'disc', color: NODE_FADED_COLOR.css, opacity: 0.45, label: 'grey: outside the circuit' },
        { shape: 'disc', color: NODE_SELECTED_COLOR.css, label: 'orange: selected' },
        { shape: 'disc', color: NODE_HIGHLIGHT_COLOR.css, label: 'blue: linked to the selected or hovered one' },
        { shape: 'ring', color: REMOVED_COLOR.css, width: 2, label: 'purple ring: removed by ablation' },
        { shape: 'ring', color: TARGET_COLOR.css, width: 3, label: 'teal ring: the target (a frame round a layer for a class or the loss)' },
      ],
    },
  ];
}
