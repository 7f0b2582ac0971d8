// From scores to a circuit: keep the top fraction of the relevant prunable kernels (k =
// ceil(keep * N)), or every one above a min-max normalized threshold (optionally per layer);
// kernels that are not pruned (linear layers by default) stay whole; then drop dead ends (the
// effective mask) and count what is left per layer. A dead target gives an empty circuit.

import type { Model } from '../model/types';
import type { Target } from '../engine/targets';
import type { ModelGraph } from '../graph/types';
import { effectiveMask, prunableEdges } from './relevance';
import type { Scores } from './saliency';
import { keepCount, topEdges } from './ranking';

export interface CircuitOptions {
  /** Fraction of relevant prunable kernels to keep (0, 1]. */
  keep?: number;
  /** Keep kernels whose normalized score is at least this (0..1), instead of a fraction. */
  threshold?: number;
  /** Normalize scores within each layer before ranking. */
  perLayer?: boolean;
  /** Prune linear layers' kernels too (default: only convolution kernels are pruned). */
  linear?: boolean;
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
  /** Whether the cut prunes this layer's kernels (false: the layer is kept whole). */
  pruned: boolean;
}

export interface Circuit {
  kept: Uint8Array;
  /** The cut before the effective mask. */
  keptBeforeEffective: Uint8Array;
  layers: LayerStats[];
  /** Kept and relevant prunable kernels (what the keep fraction counts). */
  kernelsKept: number;
  kernelsRelevant: number;
  /** 1 - kept / relevant, over prunable kernels. */
  sparsity: number;
  /** The target does not change with any kernel on these images (every relevant score equal). */
  dead: boolean;
}

/** Scores min-max normalized over relevant edges, globally or per kernel layer. */
export function normalizeScores(g: ModelGraph, scores: Scores, perLayer: boolean): Float32Array {
  const out = new Float32Array(scores.edges.length);
  const ranges = perLayer ? g.kernelLayers.map((s) => [s.edgeStart, s.edgeStart + s.rows * s.cols]) : [[0, scores.edges.length]];
  for (const [a, b] of ranges) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let e = a; e < b; e++) if (scores.relevant[e]) { lo = Math.min(lo, scores.edges[e]); hi = Math.max(hi, scores.edges[e]); }
    const span = hi - lo;
    for (let e = a; e < b; e++) out[e] = scores.relevant[e] ? (span > 0 ? (scores.edges[e] - lo) / span : 1) : 0;
  }
  return out;
}

/** Whether every relevant score is the same (a target no kernel changes on these images). */
export function isDead(scores: Scores): boolean {
  let lo = Infinity, hi = -Infinity, n = 0;
  for (let e = 0; e < scores.edges.length; e++) {
    if (!scores.relevant[e]) continue;
    n++;
    lo = Math.min(lo, scores.edges[e]);
    hi = Math.max(hi, scores.edges[e]);
  }
  return n > 0 && lo === hi && (hi === 0 || n > 1);
}

/** The cut alone: prunable kernels chosen by keep or threshold, plus every relevant kernel not pruned. */
function cut(g: ModelGraph, scores: Scores, prunable: Uint8Array, opts: CircuitOptions): Uint8Array {
  const kept = new Uint8Array(g.edgeCount);
  for (let e = 0; e < kept.length; e++) kept[e] = scores.relevant[e] && !prunable[e] ? 1 : 0;
  if (opts.threshold !== undefined) {
    if (!(opts.threshold >= 0 && opts.threshold <= 1)) throw new Error(`threshold must be in [0, 1], got ${opts.threshold}`);
    const norm = normalizeScores(g, scores, !!opts.perLayer);
    for (let e = 0; e < kept.length; e++) if (prunable[e] && norm[e] >= opts.threshold) kept[e] = 1;
    return kept;
  }
  const keep = opts.keep ?? 0.1;
  if (!(keep > 0 && keep <= 1)) throw new Error(`keep must be in (0, 1], got ${keep}`);
  const ranked = opts.perLayer ? normalizeScores(g, scores, true) : scores.edges;
  const n = prunable.reduce((a, v) => a + v, 0);
  for (const e of topEdges(ranked, prunable, keepCount(keep, n))) kept[e] = 1;
  return kept;
}

function layerStats(g: ModelGraph, kept: Uint8Array, relevant: Uint8Array, prunable: Uint8Array): LayerStats[] {
  return g.kernelLayers.map((s) => {
    let k = 0, r = 0, filters = 0, pruned = false;
    for (let o = 0; o < s.rows; o++) {
      let any = false;
      for (let j = 0; j < s.cols; j++) {
        const e = s.edgeStart + o * s.cols + j;
        k += kept[e];
        r += relevant[e];
        any ||= !!kept[e];
        pruned ||= !!prunable[e];
      }
      if (any) filters++;
    }
    return { layer: s.name, kernelsKept: k, kernelsRelevant: r, kernelsTotal: s.rows * s.cols, filtersKept: filters, filtersTotal: s.rows, pruned };
  });
}

export function extractCircuit(model: Model, g: ModelGraph, target: Target, scores: Scores, opts: CircuitOptions): Circuit {
  const prunable = prunableEdges(g, scores.relevant, !!opts.linear);
  const dead = isDead(scores);
  const before = dead ? new Uint8Array(g.edgeCount) : cut(g, scores, prunable, opts);
  const kept = opts.effective === false ? before : effectiveMask(model, g, target, before);
  let kernelsKept = 0, kernelsRelevant = 0;
  for (let e = 0; e < kept.length; e++) {
    kernelsKept += kept[e] & prunable[e];
    kernelsRelevant += prunable[e];
  }
  return {
    kept, keptBeforeEffective: before, layers: layerStats(g, kept, scores.relevant, prunable), kernelsKept, kernelsRelevant,
    sparsity: kernelsRelevant ? 1 - kernelsKept / kernelsRelevant : 0, dead,
  };
}
