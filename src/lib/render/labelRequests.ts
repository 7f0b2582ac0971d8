// The labels the graph asks for at a view, as plain data: every layer's name (above its column,
// else below it, elided to the room between columns), the target's tag, and, once nodes are far
// enough apart, the names of the visible units right of their nodes (the selected and kept ones
// first; a unit name is shown whole or not at all).

import type { CircuitGraph } from '../graph/types';
import type { LabelObstacle, LabelRequest, LayerExtent } from './labels';

/** Screen pixels per world unit (node spacing) from which unit names are offered. */
export const NODE_LABEL_ZOOM = 14;

/** Distance (px) from the canvas's edge at which a name of a column running past it is kept. */
const STICKY = 18;

export const PRIORITY = { tag: 300, layer: 200, node: 10 } as const;

export interface LabelScene {
  graph: CircuitGraph;
  positions: Float32Array;
  zoom: number;
  /** Canvas size (px). */
  width: number;
  height: number;
  toScreen(x: number, y: number): { x: number; y: number };
  /** Per layer: where its nodes lie (world), and the room to the nearest other column (world). */
  centres: LayerExtent[];
  room: number[];
  /** Node radius on screen (px). */
  radius: number;
  /** Pixels between a column's end node and its layer name (more when thumbnails are drawn). */
  lift: number;
  visibleNodes: number[];
  nodeLabel?: (node: number) => string;
  /** Display state of a node (3 selected, 2 highlighted, 1 kept, 0 faded, -1 removed). */
  nodeState(node: number): number;
  target: { kind: 'node' | 'layer'; id: number; text: string } | null;
}

export function labelRequests(s: LabelScene): LabelRequest[] {
  const out: LabelRequest[] = [];
  const t = targetRequest(s);
  if (t) out.push(t);
  s.graph.layers.forEach((layer, i) => {
    const c = s.centres[i];
    const top = s.toScreen(c.x, c.top), bottom = s.toScreen(c.x, c.bottom);
    const room = s.room[i] * s.zoom - 8;
    // a column running past the canvas keeps its name at the canvas's edge
    const inView = bottom.y >= 0 && top.y <= s.height;
    const above = inView ? Math.max(top.y - s.lift, STICKY) : top.y - s.lift;
    const below = inView ? Math.min(bottom.y + s.lift, s.height - STICKY) : bottom.y + s.lift;
    out.push({
      text: layer.name, font: 'layer', priority: PRIORITY.layer, layer: i, wholeFirst: true,
      maxWidth: Number.isFinite(room) ? Math.max(24, room) : undefined,
      spots: [{ x: top.x, y: above, ax: 0.5, ay: 1 }, { x: bottom.x, y: below, ax: 0.5, ay: 0 }],
    });
  });
  if (s.zoom < NODE_LABEL_ZOOM || !s.nodeLabel) return out;
  for (const n of s.visibleNodes) {
    const p = s.toScreen(s.positions[2 * n], s.positions[2 * n + 1]);
    const text = s.nodeLabel(n);
    const room = s.room[s.graph.nodeLayer[n]] * s.zoom * 0.8 - s.radius - 6;
    if (Number.isFinite(room) && room < 20) continue;
    out.push({
      text, font: 'node', node: n, layer: s.graph.nodeLayer[n], spots: [{ x: p.x + s.radius + 4, y: p.y, ax: 0, ay: 0.5 }],
      priority: PRIORITY.node + Math.max(0, s.nodeState(n)),
      // whole or nothing: an elided unit name says little
      maxWidth: Number.isFinite(room) ? room : undefined, whole: true,
    });
  }
  return out;
}

/** Each layer's nodes on screen (px), which other layers' labels keep clear of. */
export function columnObstacles(s: LabelScene): LabelObstacle[] {
  return s.centres.map((c, layer) => {
    const a = s.toScreen(c.left, c.top), b = s.toScreen(c.right, c.bottom);
    return { x: a.x - s.radius - 1, y: a.y - s.radius - 1, w: b.x - a.x + 2 * s.radius + 2, h: b.y - a.y + 2 * s.radius + 2, layer };
  });
}

/** The target's tag: beside its ring (a node) or above its bracket (a layer). */
function targetRequest(s: LabelScene): LabelRequest | null {
  const t = s.target;
  if (!t) return null;
  if (t.kind === 'node') {
    if (t.id < 0 || t.id >= s.graph.nodeCount) return null;
    const p = s.toScreen(s.positions[2 * t.id], s.positions[2 * t.id + 1]);
    const r = s.radius + 7;
    return {
      text: t.text, font: 'tag', priority: PRIORITY.tag, node: t.id, layer: s.graph.nodeLayer[t.id],
      spots: [{ x: p.x + r, y: p.y - r, ax: 0, ay: 1 }, { x: p.x + r, y: p.y + r, ax: 0, ay: 0 }, { x: p.x - r, y: p.y - r, ax: 1, ay: 1 }, { x: p.x, y: p.y - r, ax: 0.5, ay: 1 }],
    };
  }
  if (t.id < 0 || t.id >= s.graph.layers.length) return null;
  const c = s.centres[t.id];
  const top = s.toScreen(c.x, c.top), bottom = s.toScreen(c.x, c.bottom);
  return {
    text: t.text, font: 'tag', priority: PRIORITY.tag, layer: t.id,
    spots: [{ x: bottom.x, y: bottom.y + s.lift + 6, ax: 0.5, ay: 0 }, { x: top.x, y: top.y - s.lift - 22, ax: 0.5, ay: 1 }],
  };
}
