// Label placement for the graph, as plain data (no pixi.js): which labels the graph asks for at
// the current view (layer names always, unit names once there is room, the target's tag), and a
// greedy placement by priority that elides what is too wide and drops what would collide.

import type { CircuitGraph } from '../graph/types';

export type LabelFont = 'layer' | 'node' | 'tag';

/** A placed label's box in screen pixels (top-left corner, width, height). */
export interface LabelBox {
  text: string;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlacedLabel extends LabelBox {
  /** The whole text (`text` may be elided). */
  full: string;
  font: LabelFont;
  /** Graph layer it names or belongs to, node it names (-1: none). */
  layer: number;
  node: number;
}

/** Where a label may go: an anchor point and which point of the box sits on it ((0.5, 1): centred above). */
export interface LabelSpot {
  x: number;
  y: number;
  ax: number;
  ay: number;
}

export interface LabelRequest {
  text: string;
  font: LabelFont;
  /** Higher first. */
  priority: number;
  /** Spots tried in order. */
  spots: LabelSpot[];
  /** Widest the text may be (px); longer text is elided in the middle. */
  maxWidth?: number;
  /** Shown whole or not at all (never elided). */
  whole?: boolean;
  /** Tried whole first, wider than maxWidth, where nothing is in the way; elided after. */
  wholeFirst?: boolean;
  layer?: number;
  node?: number;
}

export interface TextMeasure {
  width(text: string, font: LabelFont): number;
  height(font: LabelFont): number;
}

type Box = { x: number; y: number; w: number; h: number };

export const intersects = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * `text` cut with an ellipsis until it is at most `maxWidth` wide, keeping more of its end (where
 * layer names differ: inc3a_3x3_reduce -> inc3…3_reduce); null when even 3 characters are too wide.
 */
export function elide(text: string, maxWidth: number, width: (t: string) => number): string | null {
  if (width(text) <= maxWidth) return text;
  for (let keep = text.length - 1; keep >= 3; keep--) {
    const head = Math.ceil(keep * 0.3);
    const cut = `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
    if (width(cut) <= maxWidth) return cut;
  }
  return null;
}

/** Text forms tried for a request: the full text (or its elision to maxWidth), then a shorter elision. */
function forms(r: LabelRequest, m: TextMeasure): string[] {
  const width = (t: string) => m.width(t, r.font);
  if (r.whole) return r.maxWidth === undefined || width(r.text) <= r.maxWidth ? [r.text] : [];
  const fit = r.maxWidth === undefined ? r.text : elide(r.text, r.maxWidth, width);
  const shorter = fit && fit.length > 6 ? elide(r.text, width(fit) * 0.6, width) : null;
  return [...new Set([r.wholeFirst ? r.text : null, fit, shorter].filter((t): t is string => t !== null))];
}

/** Something drawn that labels keep clear of (a layer's column of nodes), unless they belong to `layer`. */
export interface LabelObstacle {
  x: number;
  y: number;
  w: number;
  h: number;
  layer: number;
}

/**
 * Greedy placement: requests by priority (ties in the given order), each at the first spot and
 * text form whose box stays inside `bounds`, clear of every label placed before it (with a
 * `pad` pixel margin) and of the obstacles of other layers; a request with no such spot is
 * dropped. No two placed boxes intersect.
 */
export function placeLabels(requests: LabelRequest[], m: TextMeasure, bounds: { width: number; height: number }, pad = 2, obstacles: LabelObstacle[] = []): PlacedLabel[] {
  const order = requests.map((r, i) => [r, i] as const).sort((a, b) => b[0].priority - a[0].priority || a[1] - b[1]);
  const placed: PlacedLabel[] = [];
  const grid = new Map<number, LabelObstacle[]>();
  const CELL = 64;
  const cells = (b: Box, f: (key: number) => void) => {
    for (let cx = Math.floor(b.x / CELL); cx <= Math.floor((b.x + b.w) / CELL); cx++)
      for (let cy = Math.floor(b.y / CELL); cy <= Math.floor((b.y + b.h) / CELL); cy++) f(cx * 100_003 + cy);
  };
  const add = (o: LabelObstacle) => cells(o, (k) => (grid.get(k) ?? grid.set(k, []).get(k)!).push(o));
  // obstacles are marked by their layer; placed labels by -2, which no request names
  for (const o of obstacles) if (o.w > 0 && o.h > 0 && o.x < bounds.width && o.y < bounds.height && o.x + o.w > 0 && o.y + o.h > 0) add({ ...o, x: Math.max(-pad, o.x), y: Math.max(-pad, o.y), w: Math.min(o.w, bounds.width + pad), h: Math.min(o.h, bounds.height + pad) });
  const free = (b: LabelBox, layer: number) => {
    const padded = { ...b, x: b.x - pad, y: b.y - pad, w: b.w + 2 * pad, h: b.h + 2 * pad };
    let ok = true;
    cells(padded, (k) => (ok &&= !(grid.get(k) ?? []).some((p) => p.layer !== layer && intersects(padded, p))));
    return ok;
  };
  for (const [r] of order) {
    const h = m.height(r.font);
    let done = false;
    for (const text of forms(r, m)) {
      const w = m.width(text, r.font);
      for (const s of r.spots) {
        const box = { text, x: Math.round(s.x - s.ax * w), y: Math.round(s.y - s.ay * h), w: Math.ceil(w), h };
        if (box.x < 0 || box.y < 0 || box.x + box.w > bounds.width || box.y + box.h > bounds.height || !free(box, r.layer ?? -1)) continue;
        const label: PlacedLabel = { ...box, full: r.text, font: r.font, layer: r.layer ?? -1, node: r.node ?? -1 };
        placed.push(label);
        add({ x: box.x, y: box.y, w: box.w, h: box.h, layer: -2 });
        done = true;
        break;
      }
      if (done) break;
    }
  }
  return placed;
}

/** Per layer: how far (world x) the nearest other column lies, for the width its name may take. */
export function columnRoom(graph: CircuitGraph, positions: Float32Array): number[] {
  const xs = layerCentres(graph, positions).map((c) => c.x);
  const distinct = [...new Set(xs.map((x) => Math.round(x * 1000) / 1000))].sort((a, b) => a - b);
  return xs.map((x) => {
    let room = Infinity;
    for (const d of distinct) if (Math.abs(d - x) > 1e-3) room = Math.min(room, Math.abs(d - x));
    return room;
  });
}

export interface LayerExtent {
  /** Mean x, leftmost and rightmost x, top and bottom y of the layer's nodes (world units). */
  x: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function layerCentres(graph: CircuitGraph, positions: Float32Array): LayerExtent[] {
  return graph.layers.map((l) => {
    let x = 0, left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
    for (let n = l.nodeStart; n < l.nodeStart + l.nodeCount; n++) {
      x += positions[2 * n] / Math.max(1, l.nodeCount);
      left = Math.min(left, positions[2 * n]);
      right = Math.max(right, positions[2 * n]);
      top = Math.min(top, positions[2 * n + 1]);
      bottom = Math.max(bottom, positions[2 * n + 1]);
    }
    return { x, left, right, top, bottom };
  });
}
