// Which part of the drawn graph a circuit target names, for the marker: a link's target string
// (loss, logit:C, prob:C, node:L:c..., direction:L:...) to a node to ring or a layer to frame.
// Plain data, no pixi.js, so the page can call it anywhere.

import type { CircuitGraph } from '../graph/types';

export interface TargetMark {
  kind: 'node' | 'layer';
  id: number;
  text: string;
}

export interface TargetContext {
  /** Class names of the output layer. */
  classes: readonly string[];
  /** Graph layer of the output (default: the last). */
  outputLayer?: number;
  /** Graph layer drawn for a model layer name (e.g. a filter layer for its activation), or -1. */
  layerOf?: (name: string) => number;
}

/** The mark for `target`, or null when it names nothing drawn. */
export function targetMarkOf(graph: CircuitGraph, target: string, ctx: TargetContext): TargetMark | null {
  const out = ctx.outputLayer ?? graph.layers.length - 1;
  const layerOf = (name: string) => {
    const own = ctx.layerOf?.(name) ?? -1;
    return own >= 0 ? own : graph.layers.findIndex((l) => l.name === name);
  };
  const [kind, ...rest] = target.split(':');
  if (kind === 'loss') return out >= 0 ? { kind: 'layer', id: out, text: 'target: loss' } : null;
  if (kind === 'logit' || kind === 'prob') {
    const name = rest.join(':');
    let c = ctx.classes.indexOf(name);
    if (c < 0 && /^\d+$/.test(name)) c = Number(name);
    const l = graph.layers[out];
    if (!l || c < 0 || c >= l.nodeCount) return null;
    return { kind: 'node', id: l.nodeStart + c, text: `target: ${ctx.classes[c] ?? name}` };
  }
  if (kind === 'node' && rest.length >= 2) {
    const l = layerOf(rest[0]), c = Number.parseInt(rest[1], 10);
    const layer = graph.layers[l];
    if (!layer || !(c >= 0 && c < layer.nodeCount)) return null;
    return { kind: 'node', id: layer.nodeStart + c, text: 'target' };
  }
  if (kind === 'direction' && rest.length >= 1) {
    const l = layerOf(rest[0]);
    return l >= 0 ? { kind: 'layer', id: l, text: 'target: direction' } : null;
  }
  return null;
}
