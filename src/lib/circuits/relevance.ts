// Which kernels can affect a target (relevance), which of them a cut may remove (conv kernels;
// linear layers' too on request), and which kept kernels still lie on a path from the input to
// the target (the effective mask). Walks over the model's graph; see docs/saliency.md.

import type { Model } from '../model/types';
import { targetLayer, type Target } from '../engine/targets';
import type { ModelGraph } from '../graph/types';
import { channelCountOf, channelId, walkBack, walkForward } from '../graph/walks';

/** Channel ids the target reads. */
export function targetChannels(model: Model, g: ModelGraph, t: Target): number[] {
  const layer = targetLayer(t, model.output);
  switch (t.kind) {
    case 'featureMean': case 'featureMax': case 'featureAt':
      return [channelId(g, layer, t.channel)];
    case 'direction':
      return [...new Set(t.weights.flatMap((w, c) => (w !== 0 ? [channelId(g, layer, c)] : [])))];
    case 'classLogit': case 'classProbability':
      return [channelId(g, layer, t.class)];
    case 'loss': {
      const start = g.channelStart.get(layer)!;
      return Array.from({ length: channelCountOf(g, layer) }, (_, c) => start + c);
    }
  }
}

/** 1 for every kernel on a path to the target. */
export function relevantEdges(model: Model, g: ModelGraph, t: Target): Uint8Array {
  return walkBack(g, targetChannels(model, g, t)).edges;
}

/**
 * 1 for the relevant kernels a cut may remove: those of convolutions (kernels that slide over
 * a map), and with `linear` those of layers that read whole channels too. Seed 001: "we will
 * only contend with the convolutional operations".
 */
export function prunableEdges(g: ModelGraph, relevant: Uint8Array, linear: boolean): Uint8Array {
  const out = new Uint8Array(relevant.length);
  for (const k of g.kernelLayers) {
    if (k.wholeChannels && !linear) continue;
    for (let e = k.edgeStart; e < k.edgeStart + k.rows * k.cols; e++) out[e] = relevant[e];
  }
  return out;
}

/** Kept kernels that lie on a path of kept kernels from the input to the target. */
export function effectiveMask(model: Model, g: ModelGraph, t: Target, kept: Uint8Array): Uint8Array {
  const forward = walkForward(g, kept);
  const back = walkBack(g, targetChannels(model, g, t), kept);
  const out = new Uint8Array(g.edgeCount);
  for (let e = 0; e < g.edgeCount; e++) out[e] = kept[e] && back.edges[e] && forward[g.edgeFrom[e]] ? 1 : 0;
  return out;
}
