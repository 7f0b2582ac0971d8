// Walks over a model's graph at the level of channels: what reaches a target backwards
// (relevance), what the input reaches forwards through kept kernels (the effective mask), and
// the drawn nodes that stand for channels the drawing looks through.

import type { ModelGraph } from './types';

/** Channel id of channel c of a tensor (for a flat tensor, c is a feature, mapped to its run). */
export function channelId(g: ModelGraph, tensor: string, c: number): number {
  const start = g.channelStart.get(tensor);
  if (start === undefined) throw new Error(`no tensor named "${tensor}" in the graph`);
  const runs = g.featureStarts.get(tensor);
  if (!runs || runs.length - 1 === runs[runs.length - 1]) return start + c;
  let lo = 0, hi = runs.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (runs[mid] <= c) lo = mid;
    else hi = mid - 1;
  }
  return start + lo;
}

/** Number of channel ids (channels, or runs of a flat tensor) of a tensor. */
export function channelCountOf(g: ModelGraph, tensor: string): number {
  const names = [...g.channelStart.keys()];
  const i = names.indexOf(tensor);
  if (i < 0) throw new Error(`no tensor named "${tensor}" in the graph`);
  const next = i + 1 < names.length ? g.channelStart.get(names[i + 1])! : g.channelCount;
  return next - g.channelStart.get(tensor)!;
}

/**
 * Channels reaching `targets` backwards through kernels allowed by `keep` (all when absent):
 * which channels reach a target, and which kernels (graph edges) lie on such a path.
 */
export function walkBack(g: ModelGraph, targets: number[], keep?: Uint8Array): { channels: Uint8Array; edges: Uint8Array } {
  const channels = new Uint8Array(g.channelCount);
  const edges = new Uint8Array(g.edgeCount);
  const stack = [...targets];
  for (const t of targets) channels[t] = 1;
  while (stack.length) {
    const d = g.deps[stack.pop()!];
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

/** Channels reachable from the input through kernels allowed by `keep`. */
export function walkForward(g: ModelGraph, keep: Uint8Array): Uint8Array {
  const reach = new Uint8Array(g.channelCount);
  for (const i of g.inputChannels) reach[i] = 1;
  // Channel ids follow the model's topological order, so one pass suffices.
  for (let t = 0; t < g.channelCount; t++) {
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

/** Incoming graph edges of a node. */
export function incomingEdges(g: ModelGraph, node: number): Uint32Array {
  return g.inEdges.subarray(g.inStart[node], g.inStart[node + 1]);
}

/**
 * Graph nodes that stand for the given channels: the channel's own node, or, for channels
 * the drawing looks through (relu, pool, concat, ...), the nodes they come from without a kernel.
 */
export function nodesOfChannels(g: ModelGraph, ids: number[]): number[] {
  const seen = new Uint8Array(g.channelCount);
  const out = new Set<number>();
  const stack = [...ids];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen[id]) continue;
    seen[id] = 1;
    const n = g.nodeOfChannel[id];
    if (n >= 0) {
      out.add(n);
      continue;
    }
    const d = g.deps[id];
    for (let k = 0; k < d.from.length; k++) if (d.edge[k] < 0) stack.push(d.from[k]);
  }
  return [...out].sort((a, b) => a - b);
}

/** The tensor (input or layer name) a channel id belongs to. */
export function tensorOfChannel(g: ModelGraph, id: number): string {
  let best = '';
  let bestStart = -1;
  for (const [name, start] of g.channelStart) if (start <= id && start > bestStart) { best = name; bestStart = start; }
  return best;
}

/**
 * The map a channel of a flat tensor is a run of: back through look-through layers (flatten,
 * dropout, ...) with a single source, to the first tensor whose channels are planes; a tensor
 * that is flat all the way (features of a linear layer) is its own.
 */
export function mapTensorOf(g: ModelGraph, id: number): string {
  const first = tensorOfChannel(g, id);
  for (let name = first; ; name = tensorOfChannel(g, id)) {
    if (!g.featureStarts.has(name)) return name;
    const d = g.deps[id];
    if (d.from.length !== 1 || d.edge[0] >= 0) return first; // flat all the way: read where it is
    id = d.from[0];
  }
}

/** The map and channel a channel id stands for: a run of a flattened map is that map's channel. */
export function planeChannelOf(g: ModelGraph, id: number): { layer: string; channel: number } {
  const layer = mapTensorOf(g, id);
  let at = id;
  while (tensorOfChannel(g, at) !== layer) at = g.deps[at].from[0];
  return { layer, channel: at - g.channelStart.get(layer)! };
}
