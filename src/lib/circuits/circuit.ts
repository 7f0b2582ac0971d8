// From scores to a circuit: keep the top fraction of relevant kernels, or every kernel
// above a min-max normalized threshold (optionally per layer), then drop dead ends (the
// effective mask) and count what is left per layer.

import type { Model } from '../model/types';
import type { Target } from '../engine/targets';
import type { ChannelGraph } from './channelGraph';
import { effectiveMask } from './relevance';
import { topEdges, type Scores } from './saliency';

export interface CircuitOptions {
  /** Fraction of relevant kernels to keep (0, 1]. */
  keep?: number;
  /** Keep kernels whose normalized score is at least this (0..1), instead of a fraction. */
  threshold?: number;
  /** Normalize scores within each layer before ranking. */
  perLayer?: boolean;
  /** Drop kernels off every input-to-target path (default true). */
  effective?: boolean;
}

export interface LayerStats {
  layer: string;
  kernelsKept: number;
  kernelsRelevant: number;
  kernelsTotal: number;
  filtersKept: number;
  filtersTotal: number;
}

export interface Circuit {
  kept: Uint8Array;
  layers: LayerStats[];
  kernelsKept: number;
  kernelsRelevant: number;
  /** 1 - kept / relevant. */
  sparsity: number;
}

/** Scores min-max normalized over relevant edges, globally or per layer. */
export function normalizeScores(g: ChannelGraph, scores: Scores, perLayer: boolean): Float32Array {
  const out = new Float32Array(scores.edges.length);
  const ranges = perLayer ? g.scored.map((s) => [s.edgeOffset, s.edgeOffset + s.rows * s.cols]) : [[0, scores.edges.length]];
  for (const [a, b] of ranges) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let e = a; e < b; e++) if (scores.relevant[e]) { lo = Math.min(lo, scores.edges[e]); hi = Math.max(hi, scores.edges[e]); }
    const span = hi - lo;
    for (let e = a; e < b; e++) out[e] = scores.relevant[e] ? (span > 0 ? (scores.edges[e] - lo) / span : 1) : 0;
  }
  return out;
}

export function extractCircuit(model: Model, g: ChannelGraph, target: Target, scores: Scores, opts: CircuitOptions): Circuit {
  const kept = new Uint8Array(g.edgeCount);
  const relevantCount = scores.relevant.reduce((a, v) => a + v, 0);
  if (opts.threshold !== undefined) {
    if (!(opts.threshold >= 0 && opts.threshold <= 1)) throw new Error(`threshold must be in [0, 1], got ${opts.threshold}`);
    const norm = normalizeScores(g, scores, !!opts.perLayer);
    for (let e = 0; e < kept.length; e++) kept[e] = scores.relevant[e] && norm[e] >= opts.threshold ? 1 : 0;
  } else {
    const keep = opts.keep ?? 0.1;
    if (!(keep > 0 && keep <= 1)) throw new Error(`keep must be in (0, 1], got ${keep}`);
    const ranked = opts.perLayer ? normalizeScores(g, scores, true) : scores.edges;
    for (const e of topEdges(ranked, scores.relevant, Math.max(1, Math.round(keep * relevantCount)))) kept[e] = 1;
  }
  const final = opts.effective === false ? kept : effectiveMask(model, g, target, kept);
  const layers = g.scored.map((s) => {
    let k = 0;
    let r = 0;
    let filters = 0;
    for (let o = 0; o < s.rows; o++) {
      let any = false;
      for (let j = 0; j < s.cols; j++) {
        const e = s.edgeOffset + o * s.cols + j;
        k += final[e];
        r += scores.relevant[e];
        any ||= !!final[e];
      }
      if (any) filters++;
    }
    return { layer: s.name, kernelsKept: k, kernelsRelevant: r, kernelsTotal: s.rows * s.cols, filtersKept: filters, filtersTotal: s.rows };
  });
  const kernelsKept = layers.reduce((a, l) => a + l.kernelsKept, 0);
  return { kept: final, layers, kernelsKept, kernelsRelevant: relevantCount, sparsity: relevantCount ? 1 - kernelsKept / relevantCount : 0 };
}
