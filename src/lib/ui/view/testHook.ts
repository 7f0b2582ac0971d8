// A small window hook for the end-to-end tests: the kept kernels, graph sizes, and where a node
// or an edge is on the page so a test can click it with the real pointer; it reads the page, and
// changes nothing but the GPU device it can make the worker lose (a simulated GPU reset).

import type { GraphScene } from '$lib/render/scene';
import type { MicroscopeView } from './microscopeView.svelte';

export interface MicroscopeTestHook {
  nodeCount: number;
  edgeCount: number;
  /** Edges in the current circuit, ascending. */
  kept(): number[];
  query(): unknown;
  /** The circuit's counts and score range, as the worker returned them. */
  summary(): { kernelsKept: number; kernelsRelevant: number; relevant: number; maxScore: number; finiteScores: number } | null;
  /** Graph layer name of node n and of edge e's target; endpoints of edge e. */
  nodeLayer(n: number): string | null;
  edgeEnds(e: number): { source: number; target: number; layer: string } | null;
  /** World position of node n (the SVG export scales these). */
  position(n: number): [number, number] | null;
  /** Labels drawn on the graph: text and box in canvas pixels. */
  labelBoxes(): { text: string; x: number; y: number; w: number; h: number }[];
  /** The graph's current viewport. */
  viewport(): { x: number; y: number; zoom: number } | null;
  selection(): unknown;
  /** Page coordinates of node n. */
  nodeOnPage(n: number): { x: number; y: number } | null;
  /** Page coordinates of a point on edge e where picking finds e, or null. */
  edgeOnPage(e: number): { x: number; y: number } | null;
  /** Kept edges whose point edgeOnPage finds, up to `limit`. */
  clickableKeptEdges(limit: number): number[];
  /** The prediction shown (image -1: the visitor's own), with that image's normalized input when it is the visitor's;
   *  while `classifying`, a newer image may still be on its way. */
  current(): { image: number; ranked: { index: number; probability: number }[]; input: number[] | null; classifying: boolean } | null;
  /** Destroys the worker's GPU device as a GPU reset would; false when there is none. */
  loseDevice(): Promise<boolean>;
}

export function installTestHook(view: MicroscopeView, scene: () => GraphScene | null): void {
  const page = pagePositions(view, scene);
  const hook: MicroscopeTestHook = {
    get nodeCount() {
      return view.graph?.nodeCount ?? 0;
    },
    get edgeCount() {
      return view.graph?.edgeCount ?? 0;
    },
    kept: () => keptEdges(view),
    query: () => view.query.result?.query ?? null,
    summary: () => circuitSummary(view),
    nodeLayer: (n) => {
      const g = view.graph;
      return g && n >= 0 && n < g.nodeCount ? g.layers[g.nodeLayer[n]].name : null;
    },
    edgeEnds: (e) => {
      const g = view.graph;
      return g && e >= 0 && e < g.edgeCount ? { source: g.edgeSource[e], target: g.edgeTarget[e], layer: g.layers[g.edgeLayer[e]].name } : null;
    },
    position: (n) => {
      const p = view.positions;
      return p && n >= 0 && 2 * n + 1 < p.length ? [p[2 * n], p[2 * n + 1]] : null;
    },
    viewport: () => scene()?.getView() ?? null,
    labelBoxes: () => scene()?.labelBoxes() ?? [],
    selection: () => view.state.selection,
    nodeOnPage: page.nodeOnPage,
    edgeOnPage: page.edgeOnPage,
    clickableKeptEdges: (limit) => {
      const out: number[] = [];
      for (const e of keptEdges(view)) {
        if (out.length >= limit) break;
        if (page.edgeOnPage(e)) out.push(e);
      }
      return out;
    },
    current: () => currentPrediction(view),
    loseDevice: async () => (await view.scope.worker?.loseDeviceForTest()) ?? false,
  };
  (window as unknown as { microscope: MicroscopeTestHook }).microscope = hook;
  document.body.dataset.graphReady = 'true';
}

function keptEdges(view: MicroscopeView): number[] {
  const k = view.query.result?.kept;
  const out: number[] = [];
  if (k) for (let e = 0; e < k.length; e++) if (k[e] === 1) out.push(e);
  return out;
}

function circuitSummary(view: MicroscopeView): ReturnType<MicroscopeTestHook['summary']> {
  const r = view.query.result;
  if (!r) return null;
  let maxScore = -Infinity, finiteScores = 0, relevant = 0;
  for (let e = 0; e < r.edgeScores.length; e++) {
    if (Number.isFinite(r.edgeScores[e])) finiteScores++;
    if (r.edgeScores[e] > maxScore) maxScore = r.edgeScores[e];
    relevant += r.relevant[e];
  }
  return { kernelsKept: r.kernelsKept, kernelsRelevant: r.kernelsRelevant, relevant, maxScore, finiteScores };
}

/** Where nodes and edges are on the page, for the real pointer: inside the graph's canvas, or null. */
function pagePositions(view: MicroscopeView, scene: () => GraphScene | null): Pick<MicroscopeTestHook, 'nodeOnPage' | 'edgeOnPage'> {
  const onPage = (wx: number, wy: number) => {
    const s = scene();
    if (!s) return null;
    const r = s.canvas.getBoundingClientRect();
    const p = s.toScreen(wx, wy);
    if (p.x < 2 || p.y < 2 || p.x > r.width - 2 || p.y > r.height - 2) return null;
    return { x: r.left + p.x, y: r.top + p.y, local: p };
  };
  return {
    nodeOnPage: (n) => {
      const pos = view.positions;
      if (!pos || n < 0 || 2 * n + 1 >= pos.length) return null;
      const p = onPage(pos[2 * n], pos[2 * n + 1]);
      return p && { x: p.x, y: p.y };
    },
    edgeOnPage: (e) => {
      const g = view.graph, pos = view.positions, s = scene();
      if (!g || !pos || !s || e < 0 || e >= g.edgeCount) return null;
      const a = g.edgeSource[e], b = g.edgeTarget[e];
      for (const t of [0.5, 0.4, 0.6, 0.3, 0.7, 0.45, 0.55, 0.35, 0.65]) {
        const p = onPage(pos[2 * a] * (1 - t) + pos[2 * b] * t, pos[2 * a + 1] * (1 - t) + pos[2 * b + 1] * t);
        if (!p) continue;
        const pick = s.pickAt(p.local.x, p.local.y);
        if (pick?.kind === 'edge' && pick.id === e) return { x: p.x, y: p.y };
      }
      return null;
    },
  };
}

function currentPrediction(view: MicroscopeView): ReturnType<MicroscopeTestHook['current']> {
  const p = view.scope.prediction;
  if (!p) return null;
  const custom = view.scope.custom;
  return {
    image: p.image,
    ranked: p.ranked.map((r) => ({ index: r.index, probability: r.probability })),
    input: p.image < 0 && custom ? Array.from(custom.input) : null,
    classifying: view.scope.classifying,
  };
}
