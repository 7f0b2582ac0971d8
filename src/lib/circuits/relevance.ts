// Which kernels can affect a target (relevance), and which kept kernels still lie on a
// path from the input to the target (the effective mask). See docs/saliency.md.

import type { Model } from '../model/types';
import { nodeShape } from '../model/types';
import { targetLayer, type Target } from '../engine/targets';
import { walkBack, walkForward, type ChannelGraph } from './channelGraph';

/** Channel ids the target reads. */
export function targetChannels(model: Model, g: ChannelGraph, t: Target): number[] {
  const layer = targetLayer(t, model.output);
  switch (t.kind) {
    case 'featureMean': case 'featureMax': case 'featureAt':
      return [g.id(layer, t.channel)];
    case 'direction':
      return t.weights.flatMap((w, c) => (w !== 0 ? [g.id(layer, c)] : []));
    case 'classLogit': case 'classProbability':
      return [g.id(layer, t.class)];
    case 'loss':
      return Array.from({ length: nodeShape(model, layer)[0] }, (_, c) => g.id(layer, c));
  }
}

/** 1 for every edge on a path to the target. */
export function relevantEdges(model: Model, g: ChannelGraph, t: Target): Uint8Array {
  return walkBack(g, targetChannels(model, g, t)).edges;
}

/** Kept edges that lie on a path of kept edges from the input to the target. */
export function effectiveMask(model: Model, g: ChannelGraph, t: Target, kept: Uint8Array): Uint8Array {
  const forward = walkForward(g, kept);
  const back = walkBack(g, targetChannels(model, g, t), kept);
  const out = new Uint8Array(g.edgeCount);
  for (let e = 0; e < g.edgeCount; e++) out[e] = kept[e] && back.edges[e] && forward[g.edgeFrom[e]] ? 1 : 0;
  return out;
}
