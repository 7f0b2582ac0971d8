// The model at the level of channels: which input channels each output channel of each
// layer depends on, and through which kernel (edge) when the layer is conv2d or linear.
// Relevance (what can affect a target) and the effective mask (dead ends removed) are
// walks over this graph.

import type { Model } from '../model/types';
import { nodeShape } from '../model/types';
import { scoredLayers, type ScoredLayer } from './scoredLayers';

export interface ChannelGraph {
  /** Channel id of (node name, channel). */
  id(node: string, channel: number): number;
  count: number;
  /** For channel id t: dependency channel ids, and the global edge index (or -1) of each. */
  deps: { from: Int32Array; edge: Int32Array }[];
  /** Channel ids of the model input. */
  inputIds: number[];
  scored: ScoredLayer[];
  edgeCount: number;
  /** Source channel id of each global edge. */
  edgeFrom: Int32Array;
}

const SAME_CHANNEL = new Set(['relu', 'maxpool', 'avgpool', 'adaptiveavgpool', 'batchnorm', 'dropout']);

export function buildChannelGraph(model: Model): ChannelGraph {
  const offsets = new Map<string, number>();
  const channels = (node: string) => nodeShape(model, node)[0];
  let count = 0;
  for (const n of [model.input.name, ...model.layers.map((l) => l.name)]) {
    offsets.set(n, count);
    count += channels(n);
  }
  const id = (node: string, c: number) => offsets.get(node)! + c;
  const deps: { from: Int32Array; edge: Int32Array }[] = new Array(count);
  const scored = scoredLayers(model);
  const scoredByName = new Map(scored.map((s) => [s.name, s]));
  const empty = { from: new Int32Array(0), edge: new Int32Array(0) };
  for (let c = 0; c < channels(model.input.name); c++) deps[id(model.input.name, c)] = empty;

  /** The node a linear layer's edges come from: its input, looking through flatten/dropout. */
  const mapSource = (name: string) => {
    for (;;) {
      const l = model.layers.find((x) => x.name === name);
      if (l?.op === 'dropout') {
        name = l.inputs[0];
        continue;
      }
      if (l?.op === 'flatten' && nodeShape(model, l.inputs[0]).length === 3) return l.inputs[0];
      return name;
    }
  };

  for (const l of model.layers) {
    const C = channels(l.name);
    for (let c = 0; c < C; c++) {
      const from: number[] = [];
      const edge: number[] = [];
      const s = scoredByName.get(l.name);
      if (s) {
        const src = s.op === 'linear' ? mapSource(l.inputs[0]) : l.inputs[0];
        const g = Math.floor(c / (s.rows / s.groups));
        for (let j = 0; j < s.cols; j++) {
          from.push(id(src, g * s.cols + j));
          edge.push(s.edgeOffset + c * s.cols + j);
        }
      } else if (SAME_CHANNEL.has(l.op)) {
        from.push(id(l.inputs[0], c));
      } else if (l.op === 'lrn') {
        const size = l.attrs.size as number;
        for (let j = Math.max(0, c - Math.floor(size / 2)); j <= Math.min(C - 1, c + Math.floor((size - 1) / 2)); j++) from.push(id(l.inputs[0], j));
      } else if (l.op === 'concat') {
        let off = 0;
        for (const inp of l.inputs) {
          const n = channels(inp);
          if (c >= off && c < off + n) from.push(id(inp, c - off));
          off += n;
        }
      } else if (l.op === 'add') {
        for (const inp of l.inputs) from.push(id(inp, c));
      } else if (l.op === 'flatten') {
        const s3 = nodeShape(model, l.inputs[0]);
        const plane = s3.length === 3 ? s3[1] * s3[2] : 1;
        from.push(id(l.inputs[0], Math.floor(c / plane)));
      } else {
        // softmax and anything that mixes every channel
        for (let j = 0; j < channels(l.inputs[0]); j++) from.push(id(l.inputs[0], j));
      }
      while (edge.length < from.length) edge.push(-1);
      deps[id(l.name, c)] = { from: Int32Array.from(from), edge: Int32Array.from(edge) };
    }
  }
  const inputIds = Array.from({ length: channels(model.input.name) }, (_, c) => id(model.input.name, c));
  const edgeCount = scored.reduce((a, s) => a + s.rows * s.cols, 0);
  const edgeFrom = new Int32Array(edgeCount);
  for (const d of deps) for (let k = 0; k < d.edge.length; k++) if (d.edge[k] >= 0) edgeFrom[d.edge[k]] = d.from[k];
  return { id, count, deps, inputIds, scored, edgeCount, edgeFrom };
}

/**
 * Channels reaching `targets` backwards through edges allowed by `keep` (all when absent):
 * returns which channels reach a target, and which edges lie on such a path.
 */
export function walkBack(g: ChannelGraph, targets: number[], keep?: Uint8Array): { channels: Uint8Array; edges: Uint8Array } {
  const channels = new Uint8Array(g.count);
  const edges = new Uint8Array(g.edgeCount);
  const stack = [...targets];
  for (const t of targets) channels[t] = 1;
  while (stack.length) {
    const t = stack.pop()!;
    const d = g.deps[t];
    for (let k = 0; k < d.from.length; k++) {
      const e = d.edge[k];
      if (e >= 0) {
        if (keep && !keep[e]) continue;
        edges[e] = 1;
      }
      const f = d.from[k];
      if (!channels[f]) {
        channels[f] = 1;
        stack.push(f);
      }
    }
  }
  return { channels, edges };
}

/** Channels reachable from the input through edges allowed by `keep`. */
export function walkForward(g: ChannelGraph, keep: Uint8Array): Uint8Array {
  const reach = new Uint8Array(g.count);
  for (const i of g.inputIds) reach[i] = 1;
  // Channel ids follow the model's topological order, so one pass suffices.
  for (let t = 0; t < g.count; t++) {
    if (reach[t]) continue;
    const d = g.deps[t];
    for (let k = 0; k < d.from.length; k++) {
      const e = d.edge[k];
      if ((e < 0 || keep[e]) && reach[d.from[k]]) {
        reach[t] = 1;
        break;
      }
    }
  }
  return reach;
}
